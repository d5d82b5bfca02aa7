// PostgreSQL breaks a deadlock by aborting one of its transactions (SQLSTATE 40P01), which then
// left nothing behind: running it again is the documented answer. Writers of awards take their
// row locks in id order so that this stays rare; it cannot be ruled out between every pair of
// writers (the triggers of one statement lock rollup and learner rows after the awards').
const DEADLOCK_DETECTED = '40P01';
const ATTEMPTS = 5;

/** Runs `transaction` again when PostgreSQL aborted it to break a deadlock, up to five times in all. */
export async function retryingDeadlocks<T>(transaction: () => Promise<T>, attempts = ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction();
    } catch (err) {
      if (attempt >= attempts || (err as { code?: unknown }).code !== DEADLOCK_DETECTED) throw err;
    }
  }
}
