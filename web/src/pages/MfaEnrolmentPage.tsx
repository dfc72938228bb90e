// Shown instead of the console when the server says this account must enrol MFA first
// (login answered mfa_enrolment_required): only MFA set-up works until it is done.

import { useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext';
import { Icon } from '../components/Icon';
import { MfaSection } from './AccountPage';

export function MfaEnrolmentPage() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="login-page">
      <div className="enrol-card" data-testid="mfa-enrolment">
        <div className="login-brand">
          <Icon name="shield" size={34} className="brand-mark" />
          <div>
            <h1>Set up two-factor authentication</h1>
            <p>
              The account <strong>{user?.username}</strong> must use a verification code at log-in. Set it up to
              continue.
            </p>
          </div>
        </div>
        <MfaSection />
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-ghost"
            onClick={async () => {
              await logout();
              navigate('/login', { replace: true });
            }}
          >
            <Icon name="logout" />
            Log out
          </button>
        </div>
      </div>
    </div>
  );
}
