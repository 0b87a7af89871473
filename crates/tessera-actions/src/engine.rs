//! The pool: worker threads each own one QuickJS runtime with a context per loaded Action
//! version (compiled once, reused warm). A request is a job on a channel, answered on a
//! oneshot; an engine that ran out of time or memory is replaced, since its heap may be left
//! half-changed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use rquickjs::{CatchResultExt, CaughtError, Context, Function, Promise, Runtime};
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use crate::claims::is_restricted_claim;
use crate::{Failure, Limits, Outcome, Script, Trigger};

const PRELUDE: &str = include_str!("prelude.js");

/// A running pool of warm engines; cheap to clone.
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
    /// Starts `workers` engine threads (at least one) under `limits`.
    pub fn new(workers: usize, limits: Limits) -> std::io::Result<Engine> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("tessera-actions-{n}"))
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
pub fn engine_memory(script: &Script, trigger: Trigger, event: &Value) -> Option<i64> {
    let mut worker = Worker::new(Limits::default()).ok()?;
    let event = with_secrets(event, script);
    worker.run_one(trigger, script, &event).ok()?;
    worker.deadline.store(u64::MAX, Ordering::Relaxed);
    Some(worker.runtime.memory_usage().malloc_size)
}

fn serve(queue: &Mutex<mpsc::Receiver<Job>>, limits: Limits) {
    let mut worker: Option<Worker> = None;
    loop {
        let job = match queue.lock() {
            Ok(queue) => match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let engine = match worker.take().map_or_else(|| Worker::new(limits), Ok) {
            Ok(engine) => worker.insert(engine),
            Err(error) => {
                tracing::error!(%error, "no JavaScript engine for Actions");
                let _ = job.answer.send(Err(Failure::Unavailable));
                continue;
            }
        };
        let (result, healthy) = engine.run_all(&job);
        if !healthy {
            worker = None;
        }
        let _ = job.answer.send(result);
    }
}

/// One QuickJS runtime and the Actions loaded in it.
struct Worker {
    runtime: Runtime,
    contexts: HashMap<(String, u32), Context>,
    /// Nanoseconds past `epoch` after which the running Action is interrupted.
    deadline: Arc<AtomicU64>,
    epoch: Instant,
    limits: Limits,
}

/// The loaded Actions a worker keeps before it starts over (each holds a context).
const MAX_LOADED: usize = 256;

/// How an Action ended, before it is judged against the limits.
enum Ended {
    Finished(String),
    Threw(String),
}

impl Worker {
    fn new(limits: Limits) -> rquickjs::Result<Worker> {
        let runtime = Runtime::new()?;
        runtime.set_memory_limit(limits.memory_bytes);
        runtime.set_max_stack_size(limits.stack_bytes);
        let deadline = Arc::new(AtomicU64::new(u64::MAX));
        let epoch = Instant::now();
        let watched = Arc::clone(&deadline);
        runtime.set_interrupt_handler(Some(Box::new(move || {
            nanos_since(epoch) > watched.load(Ordering::Relaxed)
        })));
        Ok(Worker {
            runtime,
            contexts: HashMap::new(),
            deadline,
            epoch,
            limits,
        })
    }

    /// Runs the job's Actions in order; `false` when this engine must not be used again.
    fn run_all(&mut self, job: &Job) -> (Result<Outcome, Failure>, bool) {
        let mut outcome = Outcome::default();
        for script in job.scripts.iter() {
            let event = with_secrets(&job.event, script);
            let ended = self.run_one(job.trigger, script, &event);
            let action = script.name.clone();
            let timed_out = nanos_since(self.epoch) > self.deadline.load(Ordering::Relaxed);
            self.deadline.store(u64::MAX, Ordering::Relaxed);
            let json = match ended {
                Ok(Ended::Finished(json)) => json,
                _ if timed_out => return (Err(Failure::TimedOut { action }), false),
                Ok(Ended::Threw(message)) if is_out_of_memory(&message) => {
                    return (Err(Failure::OutOfMemory { action }), false)
                }
                Ok(Ended::Threw(message)) => {
                    return (Err(Failure::Threw { action, message }), true)
                }
                Err(error) => {
                    let message = error.to_string();
                    let failure = if is_out_of_memory(&message) {
                        Failure::OutOfMemory { action }
                    } else {
                        Failure::Threw { action, message }
                    };
                    return (Err(failure), false);
                }
            };
            match merge(&mut outcome, &script.name, &json) {
                Ok(()) => {}
                Err(failure) => return (Err(failure), true),
            }
        }
        (Ok(outcome), true)
    }

    fn run_one(
        &mut self,
        trigger: Trigger,
        script: &Script,
        event: &Value,
    ) -> rquickjs::Result<Ended> {
        let budget = u64::try_from(self.limits.cpu_time.as_nanos()).unwrap_or(u64::MAX);
        let deadline = nanos_since(self.epoch).saturating_add(budget);
        self.deadline.store(deadline, Ordering::Relaxed);
        let context = match self.context(script)? {
            Ok(context) => context,
            Err(message) => return Ok(Ended::Threw(message)),
        };
        let event = event.to_string();
        context.with(|ctx| {
            let run: Function = ctx.globals().get("__tessera_run")?;
            let called = run
                .call::<_, Promise>((trigger.as_str(), event))
                .catch(&ctx)
                .and_then(|promise| promise.finish::<String>().catch(&ctx));
            Ok(match called {
                Ok(json) => Ended::Finished(json),
                Err(CaughtError::Error(rquickjs::Error::WouldBlock)) => Ended::Threw(
                    "the Action's promise never settled (it awaits something that never comes)"
                        .to_owned(),
                ),
                Err(caught) => Ended::Threw(describe(&caught)),
            })
        })
    }

    /// The context holding `script`'s exports, compiling it on first use. The inner `Err` is
    /// the script's own failure to load (a syntax error, a throw at the top level).
    fn context(&mut self, script: &Script) -> rquickjs::Result<Result<&Context, String>> {
        let key = (script.id.clone(), script.version);
        if !self.contexts.contains_key(&key) {
            if self.contexts.len() >= MAX_LOADED {
                self.contexts.clear();
            }
            let context = Context::full(&self.runtime)?;
            let loaded = context.with(|ctx| {
                ctx.eval::<(), _>(PRELUDE)
                    .catch(&ctx)
                    .map_err(|e| describe(&e))?;
                ctx.eval::<(), _>(script.code.as_bytes())
                    .catch(&ctx)
                    .map_err(|e| describe(&e))
            });
            if let Err(message) = loaded {
                return Ok(Err(message));
            }
            self.contexts.insert(key.clone(), context);
        }
        Ok(self
            .contexts
            .get(&key)
            .ok_or_else(|| "not loaded".to_owned()))
    }
}

fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn describe(caught: &CaughtError<'_>) -> String {
    match caught {
        CaughtError::Exception(exception) => {
            let message = exception.message().unwrap_or_default();
            if message.is_empty() {
                exception.to_string()
            } else {
                message
            }
        }
        CaughtError::Value(value) => value
            .as_string()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_else(|| format!("{value:?}")),
        CaughtError::Error(error) => error.to_string(),
    }
}

fn is_out_of_memory(message: &str) -> bool {
    message.contains("out of memory") || message.contains("Allocation")
}

/// `event` with `event.secrets` as `script`'s secrets.
fn with_secrets(event: &Value, script: &Script) -> Value {
    let mut event = event.clone();
    if let Value::Object(fields) = &mut event {
        let secrets: Map<String, Value> = script
            .secrets
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        fields.insert("secrets".to_owned(), Value::Object(secrets));
    }
    event
}

/// What one Action's `__tessera_run` returned.
#[derive(Deserialize)]
struct Asked {
    id_token_claims: Map<String, Value>,
    access_token_claims: Map<String, Value>,
    scopes_added: Vec<String>,
    scopes_removed: Vec<String>,
    app_metadata: Map<String, Value>,
    user_metadata: Map<String, Value>,
    denied: Option<Denial>,
    #[serde(default)]
    logs: Vec<String>,
}

#[derive(Deserialize)]
struct Denial {
    reason: String,
    #[serde(default)]
    code: Option<String>,
}

/// Adds what Action `action` asked for to `outcome`; later Actions win on the same claim.
/// Restricted claims are left out with a log line, as Auth0 leaves them out.
fn merge(outcome: &mut Outcome, action: &str, json: &str) -> Result<(), Failure> {
    let asked: Asked = serde_json::from_str(json).map_err(|error| Failure::Threw {
        action: action.to_owned(),
        message: format!("unreadable result: {error}"),
    })?;
    outcome.logs.extend(
        asked
            .logs
            .into_iter()
            .map(|line| format!("{action}: {line}")),
    );
    if let Some(denial) = asked.denied {
        return Err(Failure::Denied {
            action: action.to_owned(),
            reason: denial.reason,
            code: denial.code.filter(|code| !code.is_empty()),
        });
    }
    for (claims, into) in [
        (asked.id_token_claims, &mut outcome.id_token_claims),
        (asked.access_token_claims, &mut outcome.access_token_claims),
    ] {
        for (name, value) in claims {
            if is_restricted_claim(&name) {
                outcome.logs.push(format!(
                    "{action}: the restricted claim '{name}' was not added"
                ));
            } else {
                into.insert(name, value);
            }
        }
    }
    for scope in asked.scopes_added {
        outcome.scopes_removed.retain(|s| *s != scope);
        if !outcome.scopes_added.contains(&scope) {
            outcome.scopes_added.push(scope);
        }
    }
    for scope in asked.scopes_removed {
        outcome.scopes_added.retain(|s| *s != scope);
        if !outcome.scopes_removed.contains(&scope) {
            outcome.scopes_removed.push(scope);
        }
    }
    outcome.app_metadata.extend(asked.app_metadata);
    outcome.user_metadata.extend(asked.user_metadata);
    Ok(())
}
