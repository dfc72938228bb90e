// The signed-in frame: top bar (product, user, organisation, role, log-out) and left navigation.

import { useState } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext';
import { Icon } from '../components/Icon';
import { visibleNav } from '../nav';

export function Layout() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [navOpen, setNavOpen] = useState(false);
  const entries = visibleNav(user?.role);

  return (
    <div className="shell">
      <header className="topbar">
        <button
          type="button"
          className="topbar-menu"
          aria-label="Toggle navigation"
          aria-expanded={navOpen}
          onClick={() => setNavOpen((o) => !o)}
        >
          <Icon name="menu" />
        </button>
        <Link to="/" className="brand">
          <Icon name="shield" size={22} className="brand-mark" />
          <span>Muhafiz</span>
        </Link>
        <div className="topbar-spacer" />
        {user && (
          <div className="topbar-user" data-testid="current-user">
            <Link to="/account" className="user-chip" title="Account settings">
              <Icon name="account" />
              <span className="user-text">
                <span className="user-name" data-testid="current-user-name">
                  {user.username}
                </span>
                <span className="user-org">
                  {user.organisation_name ?? 'Organisation'} · <span className="role">{user.role}</span>
                </span>
              </span>
            </Link>
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
        )}
      </header>
      <div className="body">
        <nav className={navOpen ? 'sidenav open' : 'sidenav'} aria-label="Main">
          <ul>
            {entries.map((e) => (
              <li key={e.path}>
                <NavLink to={e.path} onClick={() => setNavOpen(false)}>
                  <Icon name={e.icon} />
                  {e.label}
                </NavLink>
              </li>
            ))}
          </ul>
          <ul className="sidenav-bottom">
            <li>
              <NavLink to="/account" onClick={() => setNavOpen(false)}>
                <Icon name="account" />
                Account
              </NavLink>
            </li>
          </ul>
        </nav>
        <main className="content" key={location.pathname.split('/')[1]}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
