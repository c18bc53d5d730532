/**
 * One bus follower per bus file, shared by every SSE client of that file: 200 clients cost
 * one fs.watch and one read per append instead of 200. A client joins in two steps that
 * leave no gap and no duplicate: subscribe to the live follower (buffering), read the file
 * for its backlog, then flush the backlog and the buffered live messages not already in it.
 */
import { statSync } from 'node:fs';
import { followBus } from '../bus/follow.js';
import type { BusMessage } from '../bus/record.js';
import { log } from '../core/log.js';

type Listener = (message: BusMessage) => void;

interface SharedFollower {
  listeners: Set<Listener>;
  controller: AbortController;
}

export class BusFanout {
  private readonly followers = new Map<string, SharedFollower>();

  constructor(
    private readonly pollMs: number,
    /** Quiet time before trusting an open trailing record (bus follow's settleMs). */
    private readonly settleMs = 5,
  ) {}

  /** Live messages appended to `path` from now on; returns the unsubscribe function. */
  subscribe(path: string, listener: Listener): () => void {
    let follower = this.followers.get(path);
    if (follower === undefined) {
      follower = this.start(path);
      this.followers.set(path, follower);
    }
    follower.listeners.add(listener);
    const shared = follower;
    return () => {
      shared.listeners.delete(listener);
      if (shared.listeners.size === 0 && this.followers.get(path) === shared) {
        shared.controller.abort();
        this.followers.delete(path);
      }
    };
  }

  closeAll(): void {
    for (const follower of this.followers.values()) follower.controller.abort();
    this.followers.clear();
  }

  private start(path: string): SharedFollower {
    const controller = new AbortController();
    const listeners = new Set<Listener>();
    // Start at the current size: anything older is read by each client as its backlog.
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      size = 0;
    }
    void (async () => {
      try {
        for await (const message of followBus(path, {
          start: { offset: size },
          signal: controller.signal,
          pollIntervalMs: this.pollMs,
          settleMs: this.settleMs,
        })) {
          for (const listener of listeners) listener(message);
        }
      } catch (error) {
        log().warn({ err: error, path }, 'bus follower stopped');
        if (this.followers.get(path)?.controller === controller) this.followers.delete(path);
      }
    })();
    return { listeners, controller };
  }
}
