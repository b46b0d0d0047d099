//! Spare threads for the parts of a render that can run beside it.
//!
//! A render is mostly one thread's work (templates execute in order and may change values later
//! templates see), but two parts are pure functions of their input: parsing a template file and
//! reading a rendered file's heads. A [`Queue`] hands such items to the process's spare threads
//! while the render goes on, and the caller takes the results back in the order it pushed them.
//!
//! The spare threads are started once, on first use, and kept (one fewer than the machine's
//! cores, so none on a single core): starting a thread costs some tens of microseconds, more
//! than a small chart's whole parse, while waking a waiting one costs a few, and handing work
//! to one that has just finished something and still looks for more (for [`SPIN`]) costs
//! nothing. They only ever help:
//! whatever they have not taken when the caller asks for the results, the caller does itself,
//! so a render never waits for a spare thread to become free (another render may hold it), only
//! for the items one is working on at that moment. A panic on a spare thread reaches the caller
//! as if its own thread had panicked.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send>;

/// The spare threads: a channel of jobs they take turns at.
struct Pool {
    jobs: Mutex<Sender<Job>>,
    threads: usize,
}

/// How long a spare thread that ran out of work keeps looking for more before it sleeps. A
/// render hands over its next piece of work within tens of microseconds (the heads of the
/// next file, the next queue), and a thread that still looks takes it at once, where waking
/// a sleeping one costs the render's thread a system call and the work the thread's wake-up
/// latency. Bounded, so an idle process soon uses no CPU.
const SPIN: Duration = Duration::from_micros(50);

/// How many spare threads look for work without sleeping (see [`SPIN`]): handing one work
/// then costs no wake-up.
static LOOKING: AtomicUsize = AtomicUsize::new(0);

/// Waits up to [`SPIN`] for `ready`, without sleeping.
fn spin_until(mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= SPIN {
            return ready();
        }
    }
}

/// At most this many spare threads, however many cores the machine has: a render has one
/// stream of heads and one batch of files to parse, so more would mostly sleep.
const MAX_SPARE: usize = 3;

fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let wanted = cores.saturating_sub(1).min(MAX_SPARE);
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut threads = 0;
        for i in 0..wanted {
            let rx = rx.clone();
            let started = std::thread::Builder::new()
                .name(format!("kokumi-render-{i}"))
                .spawn(move || serve(&rx));
            if started.is_ok() {
                threads += 1;
            }
        }
        (threads > 0).then(|| Pool {
            jobs: Mutex::new(jobs),
            threads,
        })
    })
    .as_ref()
}

fn serve(rx: &Mutex<Receiver<Job>>) {
    loop {
        let rx = rx.lock().unwrap_or_else(PoisonError::into_inner);
        LOOKING.fetch_add(1, Ordering::AcqRel);
        let mut next = None;
        spin_until(|| match rx.try_recv() {
            Ok(job) => {
                next = Some(job);
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => true,
        });
        LOOKING.fetch_sub(1, Ordering::AcqRel);
        let job = match next {
            Some(job) => job,
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        drop(rx);
        // A job reports its own panics (see `Queue::help`); nothing can unwind to here.
        job();
    }
}

/// Whether a spare thread is looking for work right now (see [`SPIN`]).
fn looking() -> bool {
    LOOKING.load(Ordering::Acquire) > 0
}

/// How many spare threads the process has (0 on a single core, or when none could start).
pub(crate) fn spare_threads() -> usize {
    pool().map_or(0, |p| p.threads)
}

/// Has up to `helpers` spare threads (as many as there are, at most) run `job` once each, as
/// soon as they are free. Returns how many will: none on a single core. A job must end by
/// itself (when its work is done or the caller gives up on it): a spare thread runs one job at
/// a time.
pub(crate) fn submit(helpers: usize, job: impl Fn() + Send + Sync + 'static) -> usize {
    let Some(pool) = pool() else { return 0 };
    let Ok(jobs) = pool.jobs.lock() else { return 0 };
    let job = Arc::new(job);
    let mut sent = 0;
    for _ in 0..helpers.min(pool.threads) {
        let job = job.clone();
        // A pool whose threads are gone leaves the work to the caller.
        if jobs.send(Box::new(move || job())).is_ok() {
            sent += 1;
        }
    }
    sent
}

/// Items of type `T` turned into results `R` by `work`, on spare threads and on the caller's.
///
/// [`push`](Self::push) adds an item; [`finish`](Self::finish) works through whatever is left
/// and returns every result in push order. Dropping a queue unfinished (the render failed)
/// releases the spare threads helping with it.
pub(crate) struct Queue<T: Send + 'static, R: Send + 'static> {
    shared: Arc<Shared<T, R>>,
}

struct Shared<T, R> {
    state: Mutex<State<T, R>>,
    /// Signalled when an item is pushed or the queue closes (spare threads wait on it).
    more: Condvar,
    /// Signalled when a spare thread finishes an item after the queue closed.
    done: Condvar,
    work: fn(T) -> R,
    /// How much work (in the caller's unit, see [`Queue::push`]) is worth waking a waiting
    /// spare thread for.
    wake_at: usize,
    /// Counts pushes and the close, for spare threads looking for more without the lock.
    activity: AtomicUsize,
}

struct State<T, R> {
    pending: VecDeque<(usize, T)>,
    /// The weight of the items pushed since a spare thread was last woken.
    unannounced: usize,
    results: Vec<Option<Outcome<R>>>,
    closed: bool,
    /// Items a spare thread is working on.
    busy: usize,
    /// Spare threads waiting for an item (only those need waking).
    waiting: usize,
    /// Spare threads not asked to help yet: they are, once items of weight `wake_at` wait.
    unasked: usize,
}

type Outcome<R> = Result<R, Box<dyn Any + Send>>;

impl<T: Send + 'static, R: Send + 'static> Queue<T, R> {
    /// A queue whose items up to `helpers` spare threads (as many as there are, at most) take
    /// as they come; with `helpers` 0 every item waits for [`finish`](Self::finish). Spare
    /// threads are asked to help once items of weight `wake_at` are waiting (or at once, when
    /// one is still looking for work: see [`SPIN`]), and one that ran out of items and went to
    /// sleep is woken again when as much more is (waking one costs a few microseconds of this
    /// thread's time: for less work, it is cheaper to do it here).
    pub(crate) fn new(work: fn(T) -> R, helpers: usize, wake_at: usize) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pending: VecDeque::new(),
                unannounced: 0,
                results: Vec::new(),
                closed: false,
                busy: 0,
                waiting: 0,
                unasked: helpers,
            }),
            more: Condvar::new(),
            done: Condvar::new(),
            work,
            wake_at,
            activity: AtomicUsize::new(0),
        });
        Self { shared }
    }

    /// Adds an item of `weight` (any measure of its work: bytes to read, say).
    pub(crate) fn push(&self, item: T, weight: usize) {
        let mut state = self.shared.lock();
        let i = state.results.len();
        state.results.push(None);
        state.pending.push_back((i, item));
        state.unannounced += weight;
        self.shared.activity.fetch_add(1, Ordering::Release);
        // A spare thread that is still looking for work takes any amount without a wake-up.
        if state.unannounced < self.shared.wake_at && !(state.unasked > 0 && looking()) {
            return;
        }
        if state.unasked > 0 {
            let helpers = std::mem::take(&mut state.unasked);
            state.unannounced = 0;
            drop(state);
            let helping = self.shared.clone();
            submit(helpers, move || helping.help());
        } else if state.waiting > 0 {
            state.unannounced = 0;
            self.shared.more.notify_one();
        }
    }

    /// The results of every item pushed, in push order: the items no spare thread took are
    /// worked through here, then this waits for those a spare thread is still on.
    pub(crate) fn finish(self) -> Vec<R> {
        let shared = &self.shared;
        let mut state = shared.lock();
        state.closed = true;
        shared.activity.fetch_add(1, Ordering::Release);
        if state.waiting > 0 {
            shared.more.notify_all();
        }
        while let Some((i, item)) = state.pending.pop_front() {
            drop(state);
            let r = (shared.work)(item);
            state = shared.lock();
            state.results[i] = Some(Ok(r));
        }
        while state.busy > 0 {
            state = shared
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let results = std::mem::take(&mut state.results);
        drop(state);
        results
            .into_iter()
            .map(|r| match r {
                Some(Ok(r)) => r,
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                // Every item was either worked here or by a thread no longer busy.
                None => std::panic::resume_unwind(Box::new("worker queue lost an item")),
            })
            .collect()
    }
}

impl<T: Send + 'static, R: Send + 'static> Drop for Queue<T, R> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if !state.closed {
            state.closed = true;
            state.pending.clear();
            self.shared.activity.fetch_add(1, Ordering::Release);
            self.shared.more.notify_all();
        }
    }
}

impl<T, R> Shared<T, R> {
    fn lock(&self) -> MutexGuard<'_, State<T, R>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A spare thread's part: take items until the queue is closed and empty.
    fn help(&self) {
        let mut state = self.lock();
        loop {
            if let Some((i, item)) = state.pending.pop_front() {
                state.busy += 1;
                if state.pending.is_empty() {
                    state.unannounced = 0;
                }
                drop(state);
                let work = self.work;
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(item)));
                state = self.lock();
                state.busy -= 1;
                state.results[i] = Some(r);
                if state.closed {
                    self.done.notify_all();
                }
                continue;
            }
            if state.closed {
                return;
            }
            // Look for the next item a little while before sleeping (see `SPIN`).
            let seen = self.activity.load(Ordering::Acquire);
            drop(state);
            spin_until(|| self.activity.load(Ordering::Acquire) != seen);
            state = self.lock();
            // Pushes count under the lock: this sees every one made since `seen`.
            if self.activity.load(Ordering::Acquire) != seen {
                continue;
            }
            state.waiting += 1;
            state = self
                .more
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(n: u64) -> u64 {
        // Enough work for a spare thread to take some of the items.
        (0..2_000).fold(n * n, |acc, k| std::hint::black_box(acc ^ k) ^ k)
    }

    #[test]
    fn results_come_back_in_push_order() {
        for helpers in [0, 1, MAX_SPARE] {
            let q = Queue::new(square, helpers, 3);
            for n in 0..500 {
                q.push(n, 1);
            }
            let want: Vec<u64> = (0..500).map(|n| n * n).collect();
            assert_eq!(q.finish(), want, "{helpers} helpers");
        }
    }

    #[test]
    fn an_empty_queue_finishes() {
        let q: Queue<u64, u64> = Queue::new(square, 1, 0);
        assert!(q.finish().is_empty());
    }

    #[test]
    fn a_dropped_queue_releases_its_helpers() {
        for _ in 0..20 {
            let q = Queue::new(square, 1, 0);
            q.push(3, 1);
            drop(q);
        }
        // The spare threads are free again: a new queue's items are all done.
        let q = Queue::new(square, 1, 0);
        q.push(4, 1);
        assert_eq!(q.finish(), vec![16]);
    }

    fn boom(n: u64) -> u64 {
        if n == 7 {
            panic!("item 7");
        }
        n
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        for helpers in [0, 1] {
            let q = Queue::new(boom, helpers, 0);
            for n in 0..50 {
                q.push(n, 1);
            }
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.finish()));
            let panic = r.expect_err("the panic comes back");
            assert_eq!(panic.downcast_ref::<&str>(), Some(&"item 7"));
        }
    }
}
