import type { Store } from "@gangway/store";

/** Where a timed store call's duration and failure go. */
export interface StoreObserver {
  /** `operation` is `repository.method`, e.g. `users.get`; `seconds` its duration. */
  timing(operation: string): (seconds: number) => void;
  failed(): void;
}

/**
 * The store the gateway holds, with every repository call timed: one wrapper at the one place
 * the gateway's modules reach the database through, rather than a timer at each call site. A
 * call that returns a promise is timed to its settling; anything else (an async iterable: a
 * listing) only to its return. `healthCheck` and `close` are passed through untimed.
 */
export function timedStore(store: Store, observer: StoreObserver): Store {
  const repositories = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value === "function") return value.bind(target);
      if (typeof value !== "object" || value === null) return value;
      let timed = repositories.get(property);
      if (timed === undefined) {
        timed = timedRepository(value, String(property), observer);
        repositories.set(property, timed);
      }
      return timed;
    },
  });
}

function timedRepository<R extends object>(repository: R, name: string, observer: StoreObserver): R {
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(repository, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      let timed = methods.get(property);
      if (timed === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        timed = timedMethod(target, method, observer.timing(`${name}.${String(property)}`), observer);
        methods.set(property, timed);
      }
      return timed;
    },
  });
}

function timedMethod(
  target: object,
  method: (...args: unknown[]) => unknown,
  observe: (seconds: number) => void,
  observer: StoreObserver,
): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const startedAt = performance.now();
    let result: unknown;
    try {
      result = method.apply(target, args);
    } catch (err) {
      observe((performance.now() - startedAt) / 1000);
      observer.failed();
      throw err;
    }
    if (!(result instanceof Promise)) {
      observe((performance.now() - startedAt) / 1000);
      return result;
    }
    return result.then(
      (value) => {
        observe((performance.now() - startedAt) / 1000);
        return value;
      },
      (err: unknown) => {
        observe((performance.now() - startedAt) / 1000);
        observer.failed();
        throw err;
      },
    );
  };
}
