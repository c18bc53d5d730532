import { Link } from 'react-router';

export function NotFoundView() {
  return (
    <section className="view">
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <Link to="/">Go to the dashboard</Link>.
      </p>
    </section>
  );
}
