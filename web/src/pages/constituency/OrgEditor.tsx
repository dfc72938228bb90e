// The organisation editor: create (POST, parent preset from ?parent=) or edit (PATCH with If-Match).
// Server validation errors appear next to the field named in error.field.

import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { isApiError } from '../../api/client';
import { organisations } from '../../api/endpoints';
import type { OrgKind, Organisation, TreeItem } from '../../api/types';
import { ErrorBanner, Field, FieldError, Spinner, describedBy, errorMessage } from '../../components/common';
import {
  KINDS,
  SECTORS,
  defaultChildKind,
  diffInput,
  emptyForm,
  fieldErrorFor,
  formFromOrganisation,
  inputFromForm,
  kindLabel,
  normaliseFieldKey,
  FORM_FIELD_KEYS,
  type FieldErrors,
  type OrgFormState,
} from '../../lib/orgs';
import { buildTree, flatten, subtreeIds } from '../../lib/tree';

/** Form key → id of its control (for focusing and aria wiring). */
const CONTROL_IDS: Record<string, string> = {
  name: 'org-name',
  kind: 'org-kind',
  parent_id: 'org-parent',
  sector: 'org-sector',
  country: 'org-country',
  cii: 'org-cii',
  'contacts.security_email': 'org-security-email',
  'contacts.abuse_email': 'org-abuse-email',
  'contacts.phone': 'org-phone',
  'contacts.pgp_key': 'org-pgp-key',
  'networks.prefixes': 'org-prefixes',
  'networks.asns': 'org-asns',
  'networks.domains': 'org-domains',
};

export function OrgEditor({ items, onSaved }: { items: TreeItem[]; onSaved(): Promise<void> }) {
  const { id } = useParams();
  const editing = !!id;
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const presetParent = params.get('parent');

  const [original, setOriginal] = useState<Organisation | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [form, setForm] = useState<OrgFormState | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  // Load the organisation (edit) or start from the parent's defaults (create).
  useEffect(() => {
    let live = true;
    setErrors({});
    setFormError(null);
    setConflict(false);
    if (id) {
      setForm(null);
      organisations
        .get(id)
        .then(({ org, etag }) => {
          if (!live) return;
          setOriginal(org);
          setEtag(etag);
          setForm(formFromOrganisation(org));
        })
        .catch((e) => live && setLoadError(e));
    } else {
      setOriginal(null);
      setEtag(null);
      setForm(null);
    }
    return () => {
      live = false;
    };
  }, [id, presetParent]);

  // A new organisation's defaults need the tree (parent kind, sector, country).
  useEffect(() => {
    if (editing || form) return;
    if (presetParent && items.length === 0) return; // wait for the tree
    const parent = presetParent ? items.find((i) => i.id === presetParent) : undefined;
    const parentId = parent?.id ?? presetParent ?? (items.find((i) => !i.parent_id)?.id ?? null);
    setForm(
      emptyForm(parentId, defaultChildKind(parent?.kind), {
        sector: parent?.kind === 'sectoral_cert' || parent?.kind === 'organisational_cert' ? parent.sector : '',
        country: parent?.country ?? '',
      }),
    );
  }, [editing, form, items, presetParent]);

  const parentOptions = useMemo(() => {
    const excluded = id ? subtreeIds(items, id) : new Set<string>();
    return flatten(buildTree(items)).filter((o) => !excluded.has(o.item.id));
  }, [items, id]);

  if (loadError) return <ErrorBanner error={loadError} title="Could not load the organisation." />;
  if (!form) return <Spinner />;

  const set = <K extends keyof OrgFormState>(key: K, value: OrgFormState[K]) => {
    setForm((f) => (f ? { ...f, [key]: value } : f));
  };
  const focusField = (key: string) => {
    const el = formRef.current?.querySelector<HTMLElement>(`#${CONTROL_IDS[key] ?? 'org-name'}`);
    el?.focus();
  };

  const cancelTo = id ? `/constituency/${id}` : presetParent ? `/constituency/${presetParent}` : '/constituency';
  const isRoot = editing && original?.parent_id === null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!form) return;
    setFormError(null);
    setConflict(false);
    const { input, errors: clientErrors } = inputFromForm(form);
    if (!input) {
      setErrors(clientErrors);
      focusField(Object.keys(clientErrors)[0]);
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      let saved: Organisation;
      if (id && original) {
        const patch = diffInput(formFromOrganisationInput(original), input);
        if (Object.keys(patch).length === 0) {
          navigate(`/constituency/${id}`);
          return;
        }
        saved = await organisations.update(id, patch, etag);
      } else {
        saved = await organisations.create(input);
      }
      await onSaved();
      navigate(`/constituency/${saved.id}`);
    } catch (err) {
      if (isApiError(err) && err.field) {
        const { key, message } = fieldErrorFor(normaliseFieldKey(err.field), err.message, form);
        if ((FORM_FIELD_KEYS as readonly string[]).includes(key)) {
          setErrors({ [key]: message });
          focusField(key);
        } else {
          setFormError(`${err.field}: ${err.message}`);
        }
      } else if (isApiError(err) && err.status === 412) {
        setConflict(true);
      } else {
        setFormError(errorMessage(err));
      }
    } finally {
      setSaving(false);
    }
  }

  async function reloadAfterConflict() {
    if (!id) return;
    const { org, etag } = await organisations.get(id);
    setOriginal(org);
    setEtag(etag);
    setForm(formFromOrganisation(org));
    setConflict(false);
  }

  const hasErrors = Object.keys(errors).length > 0;

  return (
    <form ref={formRef} className="panel org-editor" onSubmit={submit} noValidate data-testid="org-editor" aria-labelledby="org-editor-title">
      <header className="detail-header">
        <h1 id="org-editor-title">{editing ? `Edit ${original?.name ?? 'organisation'}` : 'New organisation'}</h1>
      </header>

      {conflict && (
        <div className="alert alert-warning" role="alert">
          <div>Someone else changed this organisation since you opened it. Reload to see their changes.</div>
          <button type="button" className="btn" onClick={reloadAfterConflict}>
            Reload
          </button>
        </div>
      )}
      <ErrorBanner error={formError} title="Not saved." />
      {hasErrors && !formError && (
        <div className="alert alert-error" role="alert" data-testid="form-error-summary">
          Not saved: correct the field marked below.
        </div>
      )}

      <fieldset>
        <legend>Identity</legend>
        <div className="form-grid">
          <Field id="org-name" label="Name" error={errors.name} className="span-2">
            <input
              id="org-name"
              required
              autoFocus
              aria-invalid={!!errors.name}
              aria-describedby={describedBy('org-name', errors.name)}
              value={form.name}
              onChange={(e) => set('name', e.target.value)}
            />
          </Field>
          <Field id="org-kind" label="Kind" error={errors.kind}>
            <select
              id="org-kind"
              value={form.kind}
              aria-invalid={!!errors.kind}
              aria-describedby={describedBy('org-kind', errors.kind)}
              onChange={(e) => set('kind', e.target.value as OrgKind)}
            >
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {kindLabel(k)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="org-parent" label="Parent organisation" error={errors.parent_id}>
            <select
              id="org-parent"
              value={form.parent_id}
              aria-invalid={!!errors.parent_id}
              aria-describedby={describedBy('org-parent', errors.parent_id)}
              onChange={(e) => set('parent_id', e.target.value)}
            >
              {(isRoot || parentOptions.length === 0) && <option value="">None (root of the tree)</option>}
              {parentOptions.map(({ item, depth }) => (
                <option key={item.id} value={item.id}>
                  {'\u00a0\u00a0'.repeat(depth)}
                  {item.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="org-sector" label="Sector" error={errors.sector}>
            <input
              id="org-sector"
              list="org-sector-options"
              aria-invalid={!!errors.sector}
              aria-describedby={describedBy('org-sector', errors.sector)}
              value={form.sector}
              onChange={(e) => set('sector', e.target.value)}
            />
            <datalist id="org-sector-options">
              {SECTORS.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          </Field>
          <Field id="org-country" label="Country" error={errors.country} help="Two-letter code (ISO 3166), e.g. PK.">
            <input
              id="org-country"
              maxLength={2}
              className="input-short"
              autoCapitalize="characters"
              aria-invalid={!!errors.country}
              aria-describedby={describedBy('org-country', errors.country, true)}
              value={form.country}
              onChange={(e) => set('country', e.target.value.toUpperCase())}
            />
          </Field>
          <div className={errors.cii ? 'field field-check has-error span-2' : 'field field-check span-2'}>
            <input
              id="org-cii"
              type="checkbox"
              checked={form.cii}
              aria-describedby={describedBy('org-cii', errors.cii)}
              onChange={(e) => set('cii', e.target.checked)}
            />
            <label htmlFor="org-cii">Critical information infrastructure (CII)</label>
            <FieldError id="org-cii-error" message={errors.cii} />
          </div>
        </div>
      </fieldset>

      <fieldset>
        <legend>Contacts</legend>
        <div className="form-grid">
          <Field id="org-security-email" label="Security e-mail" error={errors['contacts.security_email']}>
            <input
              id="org-security-email"
              type="email"
              autoComplete="off"
              aria-invalid={!!errors['contacts.security_email']}
              aria-describedby={describedBy('org-security-email', errors['contacts.security_email'])}
              value={form.security_email}
              onChange={(e) => set('security_email', e.target.value)}
            />
          </Field>
          <Field id="org-abuse-email" label="Abuse e-mail" error={errors['contacts.abuse_email']}>
            <input
              id="org-abuse-email"
              type="email"
              autoComplete="off"
              aria-invalid={!!errors['contacts.abuse_email']}
              aria-describedby={describedBy('org-abuse-email', errors['contacts.abuse_email'])}
              value={form.abuse_email}
              onChange={(e) => set('abuse_email', e.target.value)}
            />
          </Field>
          <Field id="org-phone" label="Phone" error={errors['contacts.phone']}>
            <input
              id="org-phone"
              type="tel"
              autoComplete="off"
              aria-invalid={!!errors['contacts.phone']}
              aria-describedby={describedBy('org-phone', errors['contacts.phone'])}
              value={form.phone}
              onChange={(e) => set('phone', e.target.value)}
            />
          </Field>
          <Field id="org-pgp-key" label="PGP public key" error={errors['contacts.pgp_key']} className="span-2">
            <textarea
              id="org-pgp-key"
              rows={4}
              spellCheck={false}
              className="mono"
              placeholder="-----BEGIN PGP PUBLIC KEY BLOCK-----"
              aria-invalid={!!errors['contacts.pgp_key']}
              aria-describedby={describedBy('org-pgp-key', errors['contacts.pgp_key'])}
              value={form.pgp_key}
              onChange={(e) => set('pgp_key', e.target.value)}
            />
          </Field>
        </div>
      </fieldset>

      <fieldset>
        <legend>Networks</legend>
        <div className="form-grid form-grid-3">
          <Field id="org-prefixes" label="IP prefixes" error={errors['networks.prefixes']} help="One IPv4 or IPv6 prefix per line.">
            <textarea
              id="org-prefixes"
              rows={6}
              spellCheck={false}
              className="mono"
              placeholder={'192.0.2.0/24\n2001:db8::/32'}
              aria-invalid={!!errors['networks.prefixes']}
              aria-describedby={describedBy('org-prefixes', errors['networks.prefixes'], true)}
              value={form.prefixes}
              onChange={(e) => set('prefixes', e.target.value)}
            />
          </Field>
          <Field id="org-asns" label="AS numbers" error={errors['networks.asns']} help="One per line, e.g. AS64500.">
            <textarea
              id="org-asns"
              rows={6}
              spellCheck={false}
              className="mono"
              placeholder="AS64500"
              aria-invalid={!!errors['networks.asns']}
              aria-describedby={describedBy('org-asns', errors['networks.asns'], true)}
              value={form.asns}
              onChange={(e) => set('asns', e.target.value)}
            />
          </Field>
          <Field id="org-domains" label="Domains" error={errors['networks.domains']} help="One per line; subdomains are included.">
            <textarea
              id="org-domains"
              rows={6}
              spellCheck={false}
              className="mono"
              placeholder="example.pk"
              aria-invalid={!!errors['networks.domains']}
              aria-describedby={describedBy('org-domains', errors['networks.domains'], true)}
              value={form.domains}
              onChange={(e) => set('domains', e.target.value)}
            />
          </Field>
        </div>
      </fieldset>

      <div className="form-actions">
        <Link to={cancelTo} className="btn">
          Cancel
        </Link>
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? 'Saving…' : editing ? 'Save changes' : 'Create organisation'}
        </button>
      </div>
    </form>
  );
}

/** The writable fields of a stored organisation, normalised like the form's output. */
function formFromOrganisationInput(org: Organisation) {
  const { input } = inputFromForm(formFromOrganisation(org));
  return (
    input ?? {
      name: org.name,
      kind: org.kind,
      parent_id: org.parent_id,
      sector: org.sector,
      country: org.country,
      cii: org.cii,
      contacts: org.contacts,
      networks: org.networks,
    }
  );
}
