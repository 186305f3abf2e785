// One run at a time of a task that reloads something: a call while it runs asks for one
// more run after it (one, however many calls came), so replies never race each other and
// the last run always starts after the last call. No DOM here: Node's test runner imports it.

/**
 * `task` (async, handling its own errors) wrapped so: the returned function's promise
 * settles once a run that started after the call has finished.
 */
export function coalesced(task) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
