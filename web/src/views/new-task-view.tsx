// Create a task. Validation happens on the server; its errors are shown next to the field
// they name (from error.details or the message), else above the form.
import { useQuery } from '@tanstack/react-query';
import { useId, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, errorMessage } from '../api/client';
import type { CreateTaskRequest } from '@client/api-types';
import { useTitle } from '../components/use-title';
import { taskPath } from '../lib/build-tree';
import { fieldErrors, type FieldName } from '../lib/field-errors';
import { treeStore } from '../lib/tree-store';

export function NewTaskView() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  useTitle('New task');
  const agents = useQuery({ queryKey: ['agents'], queryFn: api.agents, staleTime: 60_000 });
  const tree = useSyncExternalStore(treeStore.subscribe, treeStore.getSnapshot);
  const [form, setForm] = useState({
    project_id: params.get('project') ?? '',
    task_id: '',
    agent: '',
    prompt: '',
    cwd: '',
    depends_on: '',
    timeout: '',
  });
  const [errors, setErrors] = useState<{
    fields: Partial<Record<FieldName, string>>;
    form?: string;
  }>({ fields: {} });
  const [busy, setBusy] = useState(false);
  const [fileNote, setFileNote] = useState<string>();
  const set = (name: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm((prev) => ({ ...prev, [name]: event.target.value }));
  const defaultAgent = agents.data?.default;

  const submit = async () => {
    const body: CreateTaskRequest = { project_id: form.project_id.trim() };
    if (form.task_id.trim()) body.task_id = form.task_id.trim();
    if (form.agent) body.agent = form.agent;
    if (form.prompt.trim()) body.prompt = form.prompt;
    if (form.cwd.trim()) body.cwd = form.cwd.trim();
    const deps = form.depends_on.split(/[\s,]+/).filter(Boolean);
    if (deps.length > 0) body.depends_on = deps;
    if (form.timeout.trim()) body.timeout = Number(form.timeout);
    setBusy(true);
    setErrors({ fields: {} });
    try {
      const created = await api.createTask(body);
      void navigate(taskPath(created.project_id, created.task_id));
    } catch (error) {
      setErrors(fieldErrors(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="view narrow" aria-labelledby="new-task-title">
      <h1 id="new-task-title">New task</h1>
      <p className="subtitle">Starts a supervised restart loop for one agent on one prompt.</p>
      {errors.form ? (
        <p className="callout error" role="alert">
          {errors.form}
        </p>
      ) : null}
      <form
        className="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div className="form-row">
          <Field label="Project" error={errors.fields.project_id} hint="Existing or new project id">
            {(id, describedBy) => (
              <>
                <input
                  id={id}
                  aria-describedby={describedBy}
                  aria-invalid={Boolean(errors.fields.project_id)}
                  list="project-ids"
                  value={form.project_id}
                  onChange={set('project_id')}
                  autoComplete="off"
                />
                <datalist id="project-ids">
                  {[...tree.projects.keys()].sort().map((p) => (
                    <option key={p} value={p} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <Field
            label="Task id (optional)"
            error={errors.fields.task_id}
            hint="Generated when empty"
          >
            {(id, describedBy) => (
              <input
                id={id}
                aria-describedby={describedBy}
                aria-invalid={Boolean(errors.fields.task_id)}
                value={form.task_id}
                onChange={set('task_id')}
                autoComplete="off"
              />
            )}
          </Field>
        </div>
        <div className="form-row">
          <Field
            label="Agent"
            error={errors.fields.agent ?? (agents.error ? errorMessage(agents.error) : undefined)}
          >
            {(id, describedBy) => (
              <select
                id={id}
                aria-describedby={describedBy}
                aria-invalid={Boolean(errors.fields.agent)}
                value={form.agent}
                onChange={set('agent')}
              >
                <option value="">{defaultAgent ? `Default (${defaultAgent})` : 'Default'}</option>
                {(agents.data?.agents ?? []).map((agent) => (
                  <option key={agent.name} value={agent.name}>
                    {agent.name} — {agent.type}
                    {agent.model ? ` (${agent.model})` : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Timeout (seconds, optional)" error={errors.fields.timeout}>
            {(id, describedBy) => (
              <input
                id={id}
                aria-describedby={describedBy}
                aria-invalid={Boolean(errors.fields.timeout)}
                type="number"
                min={1}
                inputMode="numeric"
                value={form.timeout}
                onChange={set('timeout')}
              />
            )}
          </Field>
        </div>
        <Field label="Prompt" error={errors.fields.prompt} hint={fileNote}>
          {(id, describedBy) => (
            <textarea
              id={id}
              aria-describedby={describedBy}
              aria-invalid={Boolean(errors.fields.prompt)}
              rows={10}
              value={form.prompt}
              onChange={set('prompt')}
              placeholder="What should the agent do?"
            />
          )}
        </Field>
        <label className="file-picker">
          <span className="button small">Load prompt from file…</span>
          <input
            type="file"
            accept=".md,.txt,text/*"
            className="visually-hidden"
            aria-label="Load prompt from a file"
            onChange={async (event) => {
              const file = event.target.files?.[0];
              if (!file) return;
              const text = await file.text();
              setForm((prev) => ({ ...prev, prompt: text }));
              setFileNote(`Loaded ${file.name} (${text.length.toLocaleString()} characters)`);
            }}
          />
        </label>
        <div className="form-row">
          <Field label="Working directory (optional)" error={errors.fields.cwd}>
            {(id, describedBy) => (
              <input
                id={id}
                aria-describedby={describedBy}
                aria-invalid={Boolean(errors.fields.cwd)}
                value={form.cwd}
                onChange={set('cwd')}
                placeholder="/path/to/repo"
                autoComplete="off"
              />
            )}
          </Field>
          <Field
            label="Depends on (optional)"
            error={errors.fields.depends_on}
            hint="Task ids, comma separated"
          >
            {(id, describedBy) => (
              <input
                id={id}
                aria-describedby={describedBy}
                aria-invalid={Boolean(errors.fields.depends_on)}
                value={form.depends_on}
                onChange={set('depends_on')}
                autoComplete="off"
              />
            )}
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create task'}
          </button>
        </div>
      </form>
    </section>
  );
}

function Field(props: {
  label: string;
  error?: string;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  const describedBy =
    [props.error ? `${id}-error` : '', props.hint ? `${id}-hint` : ''].filter(Boolean).join(' ') ||
    undefined;
  return (
    <div className={`field${props.error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, describedBy)}
      {props.hint ? (
        <span id={`${id}-hint`} className="hint">
          {props.hint}
        </span>
      ) : null}
      {props.error ? (
        <span id={`${id}-error`} className="field-error" role="alert">
          {props.error}
        </span>
      ) : null}
    </div>
  );
}
