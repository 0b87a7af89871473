//! `tessera import auth0-tenant PATH`: an Auth0 tenant's configuration, as the Auth0 Deploy CLI
//! exports it, carried into Tessera — its APIs, its applications (keeping their `client_id`, and
//! their secrets when Auth0's client list is given), its client grants and its roles with their
//! permissions — idempotently: what
//! is already there as exported is left alone, and an update sends only the fields that differ.
//! Whatever Tessera cannot carry over is listed, with what to do instead.

mod export;
mod plan;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::Value;
use tessera_admin::client_grants::ClientGrantQuery;
use tessera_admin::roles::{PermissionRef, PermissionsBody, RoleBody};
use tessera_core::clock::Clock;

use crate::cli::operation::{Answer, ApiOp, ClientGrantOp, ClientOp, Noun, Operation, RoleOp};
use crate::cli::{render, Remote, Target};
use export::Keywords;
use plan::{Action, ClientRef, Existing, Step};

/// `tessera import …`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    source: Source,
}

#[derive(Debug, Subcommand)]
enum Source {
    /// An Auth0 tenant's configuration as the Auth0 Deploy CLI exports it (YAML or directory):
    /// APIs, applications (keeping their client_id) and client grants. Running it again changes
    /// nothing that is already as exported.
    Auth0Tenant(TenantArgs),
}

#[derive(Debug, Args)]
struct TenantArgs {
    /// The export: the Deploy CLI's `tenant.yaml`, or the directory it wrote.
    path: PathBuf,
    /// The Deploy CLI's config.json, whose AUTH0_KEYWORD_REPLACE_MAPPINGS fill the export's
    /// @@KEYWORD@@ and ##KEYWORD## placeholders.
    #[arg(long, value_name = "FILE")]
    keywords: Option<PathBuf>,
    /// Auth0's applications with their secrets, as `GET /api/v2/clients?fields=client_id,client_secret`
    /// answers: imported applications keep their secret.
    #[arg(long, value_name = "FILE")]
    client_secrets: Option<PathBuf>,
    /// Show what the import would do, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Configuration file naming the local store (without --server).
    #[arg(long, short, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
}

/// Runs `tessera import …`: prints each resource's fate, the notes, and a summary; fails when a
/// resource could not be imported.
pub async fn run(remote: Remote, args: ImportArgs, clock: Clock) -> Result<(), String> {
    let Source::Auth0Tenant(args) = args.source;
    let keywords = match &args.keywords {
        Some(file) => Keywords::parse(&read(file)?)?,
        None => Keywords::default(),
    };
    let export = export::read(&args.path, &keywords)?;
    let secrets = match &args.client_secrets {
        Some(file) => client_secrets(&read(file)?)?,
        None => BTreeMap::new(),
    };
    let target = Target::open(&remote, args.config.as_deref(), clock).await?;
    let existing = existing(&target).await?;
    let plan = plan::plan(&export, &secrets, &existing);
    let mut import = Import {
        target: &target,
        dry_run: args.dry_run,
        new_clients: BTreeMap::new(),
        counts: Counts::default(),
    };
    for step in plan.steps {
        import.apply(step).await;
    }
    for note in &plan.notes {
        println!("note: {note}");
    }
    let counts = import.counts;
    let would = if args.dry_run { "would be " } else { "" };
    println!(
        "{} {would}created, {} {would}updated, {} unchanged, {} failed; {} notes above.",
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.failed,
        plan.notes.len()
    );
    if counts.failed > 0 {
        return Err(format!(
            "{} of the export's resources could not be imported (see above); the others were",
            counts.failed
        ));
    }
    Ok(())
}

fn read(file: &Path) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

/// Auth0's client list (an array, or `{ "clients": [...] }` with totals): client id → secret.
fn client_secrets(text: &str) -> Result<BTreeMap<String, String>, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("the client secrets file is not JSON: {e}"))?;
    let clients = match &value {
        Value::Array(clients) => clients,
        Value::Object(page) => match page.get("clients") {
            Some(Value::Array(clients)) => clients,
            _ => return Err("the client secrets file has no `clients` list".into()),
        },
        _ => return Err("the client secrets file is not Auth0's list of clients".into()),
    };
    Ok(clients
        .iter()
        .filter_map(|client| {
            let id = client.get("client_id")?.as_str()?;
            let secret = client.get("client_secret")?.as_str()?;
            Some((id.to_owned(), secret.to_owned()))
        })
        .collect())
}

/// The APIs, applications and client grants Tessera holds.
async fn existing(target: &Target) -> Result<Existing, String> {
    let listed = |operation: Operation| async move {
        let noun = operation.noun();
        target
            .run(operation)
            .await
            .map_err(|failure| render::failure(&failure, noun))
    };
    let mut existing = Existing::default();
    if let Answer::Apis(apis) = listed(Operation::Apis(ApiOp::List)).await? {
        existing.apis = apis;
    }
    if let Answer::Clients(clients) = listed(Operation::Clients(ClientOp::List)).await? {
        existing.clients = clients;
    }
    let grants = ClientGrantOp::List(ClientGrantQuery::default());
    if let Answer::ClientGrants(grants) = listed(Operation::ClientGrants(grants)).await? {
        existing.client_grants = grants;
    }
    let roles = RoleOp::List { name_filter: None };
    if let Answer::Roles(roles) = listed(Operation::Roles(roles)).await? {
        for role in roles {
            let permissions = RoleOp::Permissions(role.id.clone());
            if let Answer::RolePermissions(granted) = listed(Operation::Roles(permissions)).await? {
                existing.roles.push((role, granted));
            }
        }
    }
    Ok(existing)
}

#[derive(Debug, Default)]
struct Counts {
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
}

/// Applies the steps of a plan one by one, printing what each did.
struct Import<'a> {
    target: &'a Target,
    dry_run: bool,
    /// The ids of applications this import created with a new id, by name.
    new_clients: BTreeMap<String, String>,
    counts: Counts,
}

impl Import<'_> {
    async fn apply(&mut self, step: Step) {
        match step {
            Step::Api { identifier, action } => {
                let what = format!("API {identifier}");
                let operation = action.into_operation(ApiOp::Create, ApiOp::Update);
                self.run(&what, operation.map(Operation::Apis)).await;
            }
            Step::Client { name, action } => {
                let what = format!("application `{name}`");
                let operation = action.into_operation(ClientOp::Create, ClientOp::Update);
                if let Some(Answer::Client(client)) =
                    self.run(&what, operation.map(Operation::Clients)).await
                {
                    if let Some(secret) = &client.client_secret {
                        println!(
                            "  client_id {}, new client_secret (shown only now): {secret}",
                            client.client_id
                        );
                    }
                    self.new_clients.insert(name, client.client_id);
                }
            }
            Step::Grant {
                client,
                client_name,
                audience,
                action,
            } => {
                let what = format!("client grant of `{client_name}` for {audience}");
                let mut action = action;
                if let Action::Create(body) = &mut action {
                    match self.client_id(&client) {
                        Some(id) => body.client_id = Some(id),
                        None => {
                            self.refused(&what, "its application was not created");
                            return;
                        }
                    }
                }
                let operation = action.into_operation(ClientGrantOp::Create, ClientGrantOp::Update);
                self.run(&what, operation.map(Operation::ClientGrants))
                    .await;
            }
            Step::Role {
                name,
                action,
                add,
                remove,
            } => self.role(name, action, add, remove).await,
        }
    }

    /// A role, then its permissions (a new role's id is known once it is created).
    async fn role(
        &mut self,
        name: String,
        action: Action<RoleBody>,
        add: Vec<PermissionRef>,
        remove: Vec<PermissionRef>,
    ) {
        let what = format!("role `{name}`");
        let id = match action {
            Action::Unchanged => {
                self.run(&what, Action::Unchanged).await;
                return;
            }
            Action::Create(body) => {
                let create = Operation::Roles(RoleOp::Create(body));
                match self.run(&what, Action::Create(create)).await {
                    Some(Answer::Role(role)) => role.id,
                    _ => return,
                }
            }
            Action::Update { id, body, fields } => {
                // Only its permissions differ: the role is read, not written.
                let operation = if body.name.is_none() && body.description.is_none() {
                    RoleOp::Get(id.clone())
                } else {
                    RoleOp::Update(id.clone(), body)
                };
                let update = Action::Update {
                    id: id.clone(),
                    body: Operation::Roles(operation),
                    fields,
                };
                if self.run(&what, update).await.is_none() {
                    return;
                }
                id
            }
        };
        let changes = [
            (!add.is_empty())
                .then(|| RoleOp::AddPermissions(id.clone(), PermissionsBody { permissions: add })),
            (!remove.is_empty()).then(|| {
                RoleOp::RemovePermissions(
                    id.clone(),
                    PermissionsBody {
                        permissions: remove,
                    },
                )
            }),
        ];
        for operation in changes.into_iter().flatten() {
            if let Err(failure) = self.target.run(Operation::Roles(operation)).await {
                let message = render::failure(&failure, Noun::Roles);
                self.refused(&format!("change the permissions of {what}"), &message);
            }
        }
    }

    /// The id of the application a grant is for; `None` when this import was to create it and
    /// did not (a dry run creates nothing, so the grant shows as it would be).
    fn client_id(&self, client: &ClientRef) -> Option<String> {
        match client {
            ClientRef::Id(id) => Some(id.clone()),
            ClientRef::New(name) => self
                .new_clients
                .get(name)
                .cloned()
                .or_else(|| self.dry_run.then(|| format!("(new id of `{name}`)"))),
        }
    }

    /// Runs one step's operation (unless this is a dry run) and prints its fate; the answer.
    async fn run(&mut self, what: &str, action: Action<Operation>) -> Option<Answer> {
        let (verb, operation) = match action {
            Action::Unchanged => {
                println!("unchanged {what}");
                self.counts.unchanged += 1;
                return None;
            }
            Action::Create(operation) => (Verb::Create, operation),
            Action::Update {
                body: operation,
                fields,
                ..
            } => (Verb::Update(fields.join(", ")), operation),
        };
        if self.dry_run {
            println!("would {} {what}{}", verb.word(), verb.fields());
            self.count(&verb);
            return None;
        }
        let noun = operation.noun();
        match self.target.run(operation).await {
            Ok(answer) => {
                println!("{}d {what}{}", verb.word(), verb.fields());
                self.count(&verb);
                Some(answer)
            }
            Err(failure) => {
                let message = render::failure(&failure, noun);
                self.refused(&format!("{} {what}", verb.word()), &message);
                None
            }
        }
    }

    fn refused(&mut self, what: &str, why: &str) {
        println!("failed to {what}: {why}");
        self.counts.failed += 1;
    }

    fn count(&mut self, verb: &Verb) {
        match verb {
            Verb::Create => self.counts.created += 1,
            Verb::Update(_) => self.counts.updated += 1,
        }
    }
}

enum Verb {
    Create,
    /// With the fields that change.
    Update(String),
}

impl Verb {
    fn word(&self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update(_) => "update",
        }
    }

    fn fields(&self) -> String {
        match self {
            Verb::Create => String::new(),
            Verb::Update(fields) => format!(" ({fields})"),
        }
    }
}

impl<B> Action<B> {
    /// The admin operation that carries this action out.
    fn into_operation<O>(
        self,
        create: impl FnOnce(B) -> O,
        update: impl FnOnce(String, B) -> O,
    ) -> Action<O> {
        match self {
            Action::Create(body) => Action::Create(create(body)),
            Action::Update { id, body, fields } => Action::Update {
                body: update(id.clone(), body),
                id,
                fields,
            },
            Action::Unchanged => Action::Unchanged,
        }
    }

    fn map<C>(self, f: impl FnOnce(B) -> C) -> Action<C> {
        match self {
            Action::Create(body) => Action::Create(f(body)),
            Action::Update { id, body, fields } => Action::Update {
                id,
                body: f(body),
                fields,
            },
            Action::Unchanged => Action::Unchanged,
        }
    }
}
