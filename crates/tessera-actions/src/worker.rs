//! One engine: a QuickJS runtime on its worker thread, with a context per loaded Action
//! version (the prelude and the Action's code evaluated once, then reused warm), a heap cap,
//! a stack cap and an interrupt hook that stops an Action past its deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rquickjs::context::EvalOptions;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Promise, Runtime};
use serde_json::Value;

use crate::flow;
use crate::{Failure, Limits, Outcome, Script, Trigger};

const PRELUDE: &str = include_str!("prelude.js");

const NEVER_SETTLED: &str = "the Action's promise never settled";

/// The most Action versions an engine keeps loaded; past it, or past half the heap cap, the
/// least recently used are dropped.
const MAX_LOADED: usize = 128;

/// One QuickJS runtime and the Actions loaded in it.
pub(crate) struct Worker {
    runtime: Runtime,
    loaded: HashMap<(String, u32), Loaded>,
    /// Nanoseconds past `epoch` after which the running Action is interrupted.
    deadline: Arc<AtomicU64>,
    epoch: Instant,
    limits: Limits,
    /// Counts executions, to find the least recently used Action.
    tick: u64,
}

struct Loaded {
    context: Context,
    code: Arc<str>,
    last_used: u64,
}

/// How an Action ended, before it is judged against the limits.
enum Ended {
    Finished(String),
    Threw(String),
}

impl Worker {
    pub(crate) fn new(limits: Limits) -> rquickjs::Result<Worker> {
        let runtime = Runtime::new()?;
        runtime.set_memory_limit(limits.memory_bytes);
        runtime.set_max_stack_size(limits.stack_bytes);
        let deadline = Arc::new(AtomicU64::new(u64::MAX));
        let epoch = Instant::now();
        let watched = Arc::clone(&deadline);
        // QuickJS calls this every few thousand operations, in loops and calls alike, so an
        // Action is stopped within about a millisecond of its deadline.
        runtime.set_interrupt_handler(Some(Box::new(move || {
            nanos_since(epoch) > watched.load(Ordering::Relaxed)
        })));
        Ok(Worker {
            runtime,
            loaded: HashMap::new(),
            deadline,
            epoch,
            limits,
            tick: 0,
        })
    }

    /// The bytes this engine's heap holds now.
    pub(crate) fn heap_bytes(&self) -> i64 {
        self.runtime.memory_usage().malloc_size
    }

    /// Runs `scripts` in order on `event`; the first failure stops the rest. The `bool` is
    /// `false` when this engine must not be used again (it ran out of time or memory, and its
    /// heap may be left half-changed).
    pub(crate) fn run_all(
        &mut self,
        trigger: Trigger,
        scripts: &[Arc<Script>],
        event: &Value,
    ) -> (Result<Outcome, Failure>, bool) {
        let mut outcome = Outcome::default();
        for script in scripts {
            let event = flow::event_for(trigger, event, script, &outcome);
            let ended = self.run_one(trigger, script, &event);
            let timed_out = self.past_deadline();
            self.deadline.store(u64::MAX, Ordering::Relaxed);
            // An allocation failure inside a promise job is swallowed by the job queue and
            // shows only as a promise that never settles: a heap near the cap tells.
            let exhausted = matches!(ended, Ok(Ended::Threw(_)) | Err(_))
                && self.heap_bytes()
                    > i64::try_from(self.limits.memory_bytes / 4 * 3).unwrap_or(i64::MAX);
            let json = match judge(ended, timed_out, exhausted, &script.name) {
                Ok(json) => json,
                Err((failure, healthy)) => return (Err(failure), healthy),
            };
            if let Err(failure) = flow::merge(&mut outcome, trigger, &script.name, &json) {
                return (Err(failure), true);
            }
        }
        (Ok(outcome), true)
    }

    fn past_deadline(&self) -> bool {
        nanos_since(self.epoch) > self.deadline.load(Ordering::Relaxed)
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
        let epoch = self.epoch;
        context.with(|ctx| {
            let run: Function = ctx.globals().get("__tessera_run")?;
            let past = || nanos_since(epoch) > deadline;
            let called = run
                .call::<_, Promise>((trigger.as_str(), event))
                .and_then(|promise| settle(&ctx, &promise, past))
                .catch(&ctx);
            // What the Action queued and never awaited runs now, on its own time, so that none
            // of it runs during a later execution (an Action past its deadline is judged so).
            while !past() && ctx.execute_pending_job() {}
            Ok(match called {
                Ok(json) => Ended::Finished(json),
                Err(CaughtError::Error(rquickjs::Error::WouldBlock)) => Ended::Threw(format!(
                    "{NEVER_SETTLED} (it awaits something that never comes)"
                )),
                Err(caught) => Ended::Threw(describe(&caught)),
            })
        })
    }

    /// The context holding `script`'s exports, compiling it on first use. The inner `Err` is
    /// the script's own failure to load (a syntax error, a throw at the top level).
    fn context(&mut self, script: &Script) -> rquickjs::Result<Result<Context, String>> {
        self.tick += 1;
        let key = (script.id.clone(), script.version);
        if let Some(loaded) = self.loaded.get_mut(&key) {
            // The same version with other code (a store that numbered versions anew) is
            // loaded again rather than run stale.
            if Arc::ptr_eq(&loaded.code, &script.code) || loaded.code == script.code {
                loaded.last_used = self.tick;
                return Ok(Ok(loaded.context.clone()));
            }
        }
        self.make_room(&script.id);
        let context = Context::full(&self.runtime)?;
        let evaluated = context.with(|ctx| {
            for code in [PRELUDE.as_bytes(), script.code.as_bytes()] {
                ctx.eval_with_options::<(), _>(code, sloppy())
                    .catch(&ctx)
                    .map_err(|e| describe(&e))?;
            }
            Ok(())
        });
        if let Err(message) = evaluated {
            return Ok(Err(message));
        }
        let loaded = Loaded {
            context: context.clone(),
            code: Arc::clone(&script.code),
            last_used: self.tick,
        };
        self.loaded.insert(key, loaded);
        Ok(Ok(context))
    }

    /// Drops the other versions of Action `id`, then the least recently used Actions while
    /// there are too many or they hold more than half the heap cap.
    fn make_room(&mut self, id: &str) {
        let before = self.loaded.len();
        self.loaded.retain(|(loaded, _), _| loaded != id);
        if before != self.loaded.len() {
            self.runtime.run_gc();
        }
        let budget = i64::try_from(self.limits.memory_bytes / 2).unwrap_or(i64::MAX);
        while self.loaded.len() >= MAX_LOADED
            || (!self.loaded.is_empty() && self.heap_bytes() > budget)
        {
            let oldest = self
                .loaded
                .iter()
                .min_by_key(|(_, loaded)| loaded.last_used)
                .map(|(key, _)| key.clone());
            let Some(oldest) = oldest else { return };
            self.loaded.remove(&oldest);
            self.runtime.run_gc();
        }
    }
}

/// The Action's result as JSON, or its failure and whether the engine is still sound.
fn judge(
    ended: rquickjs::Result<Ended>,
    timed_out: bool,
    exhausted: bool,
    action: &str,
) -> Result<String, (Failure, bool)> {
    let action = action.to_owned();
    match ended {
        Ok(Ended::Finished(json)) => Ok(json),
        _ if timed_out => Err((Failure::TimedOut { action }, false)),
        Ok(Ended::Threw(message)) if exhausted || is_out_of_memory(&message) => {
            Err((Failure::OutOfMemory { action }, false))
        }
        // Whatever left the promise pending may have left the heap half-changed too.
        Ok(Ended::Threw(message)) if message.starts_with(NEVER_SETTLED) => {
            Err((Failure::Threw { action, message }, false))
        }
        Ok(Ended::Threw(message)) => Err((Failure::Threw { action, message }, true)),
        Err(error) => {
            let message = error.to_string();
            if is_out_of_memory(&message) {
                Err((Failure::OutOfMemory { action }, false))
            } else {
                Err((Failure::Threw { action, message }, false))
            }
        }
    }
}

/// Drives the job queue until `promise` settles: its value, `WouldBlock` when nothing is left
/// to run and it is still pending, or `Interrupted` once `past` (each job is itself stopped by
/// the interrupt handler; this ends a queue that keeps refilling itself).
fn settle<'js>(
    ctx: &Ctx<'js>,
    promise: &Promise<'js>,
    past: impl Fn() -> bool,
) -> rquickjs::Result<String> {
    loop {
        if let Some(result) = promise.result::<String>() {
            return result;
        }
        if past() {
            return Err(rquickjs::Error::Exception);
        }
        if !ctx.execute_pending_job() {
            return Err(rquickjs::Error::WouldBlock);
        }
    }
}

/// Scripts evaluate as CommonJS modules do in Node.js: global code, not forced strict (the
/// Action's own `"use strict"` still applies).
fn sloppy() -> EvalOptions {
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = false;
    options
}

fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// An exception as its message, with its type when that says more than `Error`
/// (`TypeError: x is not a function`).
fn describe(caught: &CaughtError<'_>) -> String {
    match caught {
        CaughtError::Exception(exception) => {
            let message = exception.message().unwrap_or_default();
            let name: Option<String> = exception.get("name").ok();
            match name.as_deref() {
                _ if message.is_empty() => exception.to_string(),
                Some(name) if name != "Error" && !name.is_empty() => format!("{name}: {message}"),
                _ => message,
            }
        }
        CaughtError::Value(value) => value
            .as_string()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_else(|| format!("{value:?}")),
        CaughtError::Error(error) => error.to_string(),
    }
}

/// Whether QuickJS gave up for lack of heap: its `InternalError: out of memory`, or
/// rquickjs's allocation failure.
fn is_out_of_memory(message: &str) -> bool {
    message.contains("out of memory") || message.contains("Allocation failed")
}
