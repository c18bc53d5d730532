import { useEffect } from 'react';

/** Sets the tab title so many open tabs stay tellable apart. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Conductor Loop` : 'Conductor Loop';
  }, [title]);
}
