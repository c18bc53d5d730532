/**
 * A set of fs.watch watchers keyed by folder, for the run index. Watching is best effort:
 * when the system runs out of inotify watches we stop adding more and the index's periodic
 * pass keeps it correct, only slower.
 */
import { watch, type FSWatcher } from 'node:fs';
import { log } from '../core/log.js';

export class DirWatchers {
  private readonly watchers = new Map<string, FSWatcher>();
  private exhausted = false;
  private closed = false;

  constructor(private readonly enabled: boolean) {}

  /** Call `onChange` when an entry of `path` changes whose name passes `relevant`. */
  watch(
    path: string,
    onChange: () => void,
    relevant: (name: string) => boolean = () => true,
  ): void {
    if (!this.enabled || this.exhausted || this.closed || this.watchers.has(path)) return;
    try {
      const watcher = watch(path, { persistent: false }, (_event, name) => {
        if (name === null || relevant(name.toString())) onChange();
      });
      watcher.on('error', () => this.unwatch(path));
      this.watchers.set(path, watcher);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') {
        this.exhausted = true;
        log().warn({ path, code }, 'file watching limit reached; relying on periodic rescans');
      }
    }
  }

  get size(): number {
    return this.watchers.size;
  }

  unwatch(path: string): void {
    const watcher = this.watchers.get(path);
    if (watcher !== undefined) {
      watcher.close();
      this.watchers.delete(path);
    }
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}
