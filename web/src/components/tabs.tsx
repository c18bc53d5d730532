// WAI-ARIA tabs: arrow keys move between tabs, panels are labelled by their tab.
import { useRef, type ReactNode } from 'react';

export interface TabSpec {
  id: string;
  label: ReactNode;
}

export function Tabs(props: {
  label: string;
  tabs: TabSpec[];
  active: string;
  onChange: (id: string) => void;
  idPrefix: string;
  children: ReactNode;
}) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const index = props.tabs.findIndex((t) => t.id === props.active);
  const focusTab = (i: number) => {
    const tab = props.tabs[(i + props.tabs.length) % props.tabs.length];
    if (!tab) return;
    props.onChange(tab.id);
    refs.current[tab.id]?.focus();
  };
  return (
    <div className="tabs">
      <div
        role="tablist"
        aria-label={props.label}
        className="tablist"
        onKeyDown={(event) => {
          if (event.key === 'ArrowRight') focusTab(index + 1);
          else if (event.key === 'ArrowLeft') focusTab(index - 1);
          else if (event.key === 'Home') focusTab(0);
          else if (event.key === 'End') focusTab(props.tabs.length - 1);
          else return;
          event.preventDefault();
        }}
      >
        {props.tabs.map((tab) => (
          <button
            key={tab.id}
            ref={(el) => {
              refs.current[tab.id] = el;
            }}
            type="button"
            role="tab"
            id={`${props.idPrefix}-tab-${tab.id}`}
            aria-selected={tab.id === props.active}
            aria-controls={`${props.idPrefix}-panel`}
            tabIndex={tab.id === props.active ? 0 : -1}
            className="tab"
            onClick={() => props.onChange(tab.id)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`${props.idPrefix}-panel`}
        aria-labelledby={`${props.idPrefix}-tab-${props.active}`}
        className="tabpanel"
      >
        {props.children}
      </div>
    </div>
  );
}
