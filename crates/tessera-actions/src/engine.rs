//! The pool: worker threads each own one engine ([`Worker`]). A request is a job on a
//! channel, answered on a oneshot the caller awaits; an engine that ran out of time or memory,
//! or panicked, is replaced by a fresh one, and a caller is answered
//! [`Failure::Unavailable`] rather than left waiting.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};

use serde_json::Value;
use tokio::sync::oneshot;

use crate::worker::Worker;
use crate::{Failure, Limits, Outcome, Script, Trigger};

/// Stack for an engine thread's native frames, on top of [`Limits::stack_bytes`].
const NATIVE_STACK: usize = 2 << 20;

/// A running pool of warm engines; cheap to clone. The threads stop when the last clone is
/// dropped.
#[derive(Clone)]
pub struct Engine {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

struct Job {
    trigger: Trigger,
    scripts: Arc<[Arc<Script>]>,
    event: Value,
    answer: oneshot::Sender<Result<Outcome, Failure>>,
}

impl Engine {
    /// Starts `workers` engine threads (at least one) under `limits`. Each engine starts on its
    /// first job and loads an Action on its first execution there.
    pub fn new(workers: usize, limits: Limits) -> std::io::Result<Engine> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("tessera-actions-{n}"))
                .stack_size(limits.stack_bytes.saturating_add(NATIVE_STACK))
                .spawn(move || serve(&queue, limits))?;
        }
        Ok(Engine { jobs })
    }

    /// Runs `scripts` in order for `trigger` on `event` (Auth0's event object, without
    /// `secrets`: each Action gets its own). The first denial or failure stops the rest.
    pub async fn run(
        &self,
        trigger: Trigger,
        scripts: Arc<[Arc<Script>]>,
        event: Value,
    ) -> Result<Outcome, Failure> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            trigger,
            scripts,
            event,
            answer,
        };
        self.jobs.send(job).map_err(|_| Failure::Unavailable)?;
        answered.await.unwrap_or(Err(Failure::Unavailable))
    }
}

/// The heap of one engine with `script` loaded and run once on `event`, in bytes: what each
/// pooled engine costs.
pub fn engine_memory(script: &Arc<Script>, trigger: Trigger, event: &Value) -> Option<i64> {
    let mut worker = Worker::new(Limits::default()).ok()?;
    let (result, _) = worker.run_all(trigger, std::slice::from_ref(script), event);
    result.ok()?;
    Some(worker.heap_bytes())
}

fn serve(queue: &Mutex<mpsc::Receiver<Job>>, limits: Limits) {
    let mut worker: Option<Worker> = None;
    while let Some(job) = next(queue) {
        if job.answer.is_closed() {
            // The caller went away while the job waited.
            continue;
        }
        let ran = catch_unwind(AssertUnwindSafe(|| {
            let mut engine = match worker.take() {
                Some(engine) => engine,
                None => match Worker::new(limits) {
                    Ok(engine) => engine,
                    Err(error) => {
                        tracing::error!(%error, "no JavaScript engine for Actions");
                        return (Err(Failure::Unavailable), None);
                    }
                },
            };
            let (result, healthy) = engine.run_all(job.trigger, &job.scripts, &job.event);
            (result, Some((engine, healthy)))
        }));
        let (result, kept) = ran.unwrap_or_else(|_| {
            tracing::error!("an Actions engine panicked; it is replaced");
            (Err(Failure::Unavailable), None)
        });
        let _ = job.answer.send(result);
        // A spent engine is dropped (its heap freed) only once the caller has its answer.
        worker = kept.and_then(|(engine, healthy)| healthy.then_some(engine));
    }
}

/// The next job, or `None` when every [`Engine`] is gone.
fn next(queue: &Mutex<mpsc::Receiver<Job>>) -> Option<Job> {
    queue.lock().ok()?.recv().ok()
}
