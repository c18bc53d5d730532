import { Link } from 'react-router';
import { projectPath, taskPath } from '../lib/build-tree';

export function Breadcrumbs({
  projectId,
  taskId,
  runId,
}: {
  projectId: string;
  taskId?: string;
  runId?: string;
}) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs">
      <ol>
        <li>
          <Link to={projectPath(projectId)}>{projectId}</Link>
        </li>
        {taskId ? (
          <li>
            {runId ? (
              <Link to={taskPath(projectId, taskId)}>{taskId}</Link>
            ) : (
              <span aria-current="page">{taskId}</span>
            )}
          </li>
        ) : null}
        {runId ? (
          <li>
            <span aria-current="page" className="mono">
              {runId}
            </span>
          </li>
        ) : null}
      </ol>
    </nav>
  );
}
