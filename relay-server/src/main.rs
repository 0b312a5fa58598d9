//! `relay-server`: flags, logging and settings; the work is in the library.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use relay_server::domain::agents::{self, NewAgent};
use relay_server::settings::Settings;
use relay_server::store::{self, read};
use shared::{QueueId, Role, Timestamp};
use tokio_util::sync::CancellationToken;

/// The support desk's relay server: keeps the ticket database and streams
/// queues to agent workstations over WebSockets.
///
/// Settings come from built-in defaults, then a TOML file (--config, or
/// config.toml in the XDG config dir), then RELAY_* environment variables,
/// then these flags. See docs/configuration.md.
#[derive(Parser)]
#[command(name = "relay-server", version, propagate_version = true)]
struct Cli {
    /// Config file (TOML). Default: $XDG_CONFIG_HOME/relay-server/config.toml if it exists.
    #[arg(long, global = true, env = "RELAY_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// SQLite database file. Default: $XDG_DATA_HOME/relay-server/desk.db.
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve agents over WebSocket (at /v1/ws), files (/v1/files), the
    /// customers' mini app (/app/) and GET /healthz until SIGINT/SIGTERM.
    ///
    /// The mini app ([miniapp] in the config, docs/miniapp.md) is the
    /// customers' cabinet inside Telegram: its pages under /app/ and its
    /// API under /app/api, which takes Telegram's signed launch data.
    ///
    /// With tls_cert and tls_key set (RELAY_TLS_CERT, RELAY_TLS_KEY: PEM
    /// files), it listens with TLS only: agents connect to
    /// wss://HOST:PORT/v1/ws. Files: engineers' uploads and attachments
    /// fetched from Telegram live in [files] dir (default: files/ beside the
    /// database).
    ///
    /// With TELEGRAM_BOT_TOKEN set, also runs the Telegram bot: durable
    /// intake, the paced outbox and the customer dialogue ([bot] in the
    /// config: consent, knowledge base (kb_dir), topics, hours, quiet hours;
    /// see docs/telegram.md).
    ///
    /// Also runs the desk's one scheduler once a second, whatever the bot's
    /// mode: SLA warnings and breaches with their escalations, reassignment,
    /// offline agents' tickets back to the queue, auto-assignment,
    /// automations, and messages held for customers' quiet hours and
    /// follow-ups (docs/sla.md). When the
    /// calendars or SLA policies changed since the last start, every open
    /// ticket's deadlines are first recomputed in the background.
    ///
    /// Prints "relay-server listening on http://ADDR" (https:// with TLS) on
    /// stdout once ready.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8470 (port 0: any free port).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Create the database or bring its schema up to date, then exit.
    Migrate,
    /// Write a backup of the database to FILE, while the server runs.
    ///
    /// FILE must be new; it is created with mode 0600. SQLite's online
    /// backup copies the state at one event seq, which it prints. The file
    /// holds customers' private messages: keep it as safe as the database.
    /// See docs/operations.md.
    Backup {
        /// The backup file to create.
        file: PathBuf,
    },
    /// Replace the database with a backup (stop the server first).
    ///
    /// A database in use is refused; the database replaced is kept beside
    /// it as desk.db.before-restore-N. Then start the server: agents'
    /// clients get a fresh snapshot. See docs/operations.md.
    Restore {
        /// The backup file to restore from.
        file: PathBuf,
    },
    /// Manage agents (support engineers) and their tokens.
    #[command(subcommand)]
    Agent(AgentCmd),
    /// Manage customers.
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// Organisations: the client companies whose Telegram groups the bot
    /// watches (docs/groups.md).
    #[command(subcommand)]
    Org(OrgCmd),
    /// The customer groups the bot is in: list them, bind one to an
    /// organisation, show its conversations and who owes a reply
    /// (docs/groups.md).
    #[command(subcommand)]
    Group(GroupCmd),
    /// The desk's figures for leads, computed exactly from the database:
    /// first and next response (P50/P90, calendar and business time),
    /// resolution, first-contact resolution, reopens, repeat contacts,
    /// self-service, CSAT, NPS, SLA attainment, volume by day, hour, topic
    /// and queue, top reasons, and groups' alerts and spam share; with
    /// --by variant, each A/B test's sides compared (docs/experiments.md).
    /// Tickets count in the period they were created in. Definitions:
    /// docs/metrics.md.
    Report {
        /// Start of the period: a date (2026-11-01) or date and time
        /// (2026-11-01T09:00) in --zone [default: 7 days before --to].
        #[arg(long, value_name = "WHEN")]
        from: Option<String>,
        /// End of the period, exclusive [default: now].
        #[arg(long, value_name = "WHEN")]
        to: Option<String>,
        /// A row per queue, agent, topic, organisation, language, or each
        /// experiment's variant (with A against B compared).
        #[arg(long, value_name = "GROUPING")]
        by: Option<String>,
        /// table (for people), csv (a row per group, a column per figure)
        /// or json (everything).
        #[arg(long, default_value = "table", value_name = "FORMAT")]
        format: String,
        /// Time zone of --from, --to and of days and hours (IANA name).
        #[arg(long, default_value = "UTC", value_name = "ZONE")]
        zone: String,
        /// Quiet time after a resolution (or a knowledge-base answer) that
        /// makes it first-contact resolution (or self-service).
        #[arg(long, default_value = "7d", value_name = "DURATION")]
        window: String,
    },
    /// List the audit log: who read a ticket (history, older messages),
    /// exported or erased a customer's data, shared a ticket or changed its
    /// owner. Oldest first, times in UTC. Records hold ids, never content.
    /// See docs/privacy.md.
    Audit {
        /// Only records this recent, e.g. 24h, 7d (default: all kept).
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Only what this agent (login name) did.
        #[arg(long, value_name = "NAME")]
        agent: Option<String>,
        /// Only records about this customer (Telegram user id).
        #[arg(long, value_name = "TELEGRAM_ID")]
        customer: Option<i64>,
        /// Only records about this ticket (its number, e.g. 10042).
        #[arg(long, value_name = "NUMBER")]
        ticket: Option<u64>,
        /// Only this action: read_history, read_older, export, erase,
        /// assign, share, unshare, mydata, forgetme, retention.
        #[arg(long)]
        action: Option<String>,
        /// The newest this many records.
        #[arg(long, default_value_t = 200)]
        limit: u32,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run retention now: delete or anonymize what is past its time
    /// ([retention] in the config), in small batches, while the server
    /// runs or not. The server also runs it every retention.every. With
    /// --compact, then rebuild the database (VACUUM) so no removed text
    /// stays in its free pages. See docs/privacy.md, "Retention".
    Prune {
        /// Also compact the database afterwards.
        #[arg(long)]
        compact: bool,
    },
    /// File sample customer messages (several languages) to try the desk without Telegram.
    Seed {
        /// How many customers write in (each opens a ticket with 1-3 messages).
        #[arg(long, default_value_t = 20)]
        customers: u32,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Add an organisation.
    Add {
        /// Its name, as engineers know the client (unique).
        name: String,
        /// The queue its conversations belong to.
        #[arg(long, default_value = "L1")]
        queue: String,
        /// A calendar under [calendars] its clocks run on (default: its
        /// queue's).
        #[arg(long, default_value = "")]
        calendar: String,
        /// How long a customer's message in its groups may wait for staff,
        /// in business time, e.g. 15m (default: [groups] reply_sla).
        #[arg(long)]
        reply_sla: Option<String>,
        /// The language its groups are written to in: en, uk, ru or zh.
        #[arg(long, default_value = "en")]
        language: String,
        /// A VIP client.
        #[arg(long)]
        vip: bool,
    },
    /// List organisations.
    List,
    /// Set an organisation's safety rules (docs/groups.md, "Safety"):
    /// someone who joins one of its groups may not post links, media,
    /// forwards, buttons or quotes from other chats until they have
    /// written N real messages or H hours have passed, whichever comes
    /// first (0 and 0: no limits); the captcha at its groups' door. A rule
    /// not given goes back to [safety]'s.
    Safety {
        /// The organisation's name.
        name: String,
        /// Real messages before the limits lift.
        #[arg(long)]
        newcomer_messages: Option<u32>,
        /// Hours after joining before the limits lift.
        #[arg(long)]
        newcomer_hours: Option<u32>,
        /// off, button, arithmetic or questions (see `org question`).
        #[arg(long, value_parser = ["off", "button", "arithmetic", "questions"])]
        captcha: Option<String>,
    },
    /// Show an organisation's group tickets to its people in the
    /// customers' mini app, or stop (docs/miniapp.md, "Company"). Off
    /// for a new organisation. Someone sees the tickets made in the groups
    /// of it they are in, read only, while they are in them: not once
    /// they leave, are banned or are staff.
    Share {
        /// The organisation's name.
        name: String,
        /// on or off.
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// The questions of an organisation's captcha (`--captcha questions`).
    Question {
        #[command(subcommand)]
        cmd: QuestionCmd,
    },
}

#[derive(Subcommand)]
enum QuestionCmd {
    /// Add a question: one right answer and 1-5 wrong ones, shown as
    /// buttons in a shuffled order.
    Add {
        /// The organisation's name.
        organisation: String,
        /// The question, e.g. "Which product does your team use?".
        question: String,
        /// The right answer.
        #[arg(long)]
        right: String,
        /// A wrong answer (repeat the flag for more).
        #[arg(long, required = true)]
        wrong: Vec<String>,
    },
    /// List an organisation's questions.
    List { organisation: String },
    /// Remove every question of an organisation.
    Clear { organisation: String },
}

#[derive(Subcommand)]
enum GroupCmd {
    /// List the groups the bot is in (unbound ones first).
    List,
    /// Bind a group to an organisation: its conversations get the
    /// organisation's reply SLA and calendar.
    Bind {
        /// The group's Telegram chat id (negative; see `group list`).
        #[arg(allow_negative_numbers = true)]
        chat_id: i64,
        /// The organisation's name.
        organisation: String,
    },
    /// Count one person as staff, or as the client's side, in one group
    /// (over the agent links).
    Person {
        #[arg(allow_negative_numbers = true)]
        chat_id: i64,
        /// Their Telegram user id.
        telegram_user_id: i64,
        /// staff: their messages answer clients; customer: they owe answers.
        #[arg(long, value_parser = ["staff", "customer"])]
        side: String,
    },
    /// Unbind a group (it keeps its messages; nobody's SLA runs).
    Unbind {
        #[arg(allow_negative_numbers = true)]
        chat_id: i64,
    },
    /// End a group's raid protection early: newcomers who passed the
    /// captcha may write again (docs/groups.md, "Safety").
    Calm {
        #[arg(allow_negative_numbers = true)]
        chat_id: i64,
    },
    /// A group's conversations, newest first, and who owes a reply.
    Show {
        #[arg(allow_negative_numbers = true)]
        chat_id: i64,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Subcommand)]
enum CustomerCmd {
    /// Export everything the desk holds about a customer (a data access request).
    ///
    /// Their profile and consent, every ticket with its messages and CSAT,
    /// as DIR/export.json, and the files of their messages this server
    /// keeps, in DIR/files/. DIR is created readable by its owner only.
    /// See docs/privacy.md.
    Export {
        /// Their Telegram user id.
        telegram_user_id: i64,
        /// The directory to write to (new, or empty).
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Include engineers' internal notes about them too.
        #[arg(long)]
        notes: bool,
    },
    /// Erase a customer's data (a right-to-erasure request).
    ///
    /// Without --yes, prints what would go and changes nothing. With it:
    /// their tickets, messages, dialogue, Telegram updates and attachments
    /// (in the files directory) are deleted; the events that carried their
    /// data are kept as content-free `withheld` entries; their name in
    /// other tickets' messages becomes "[erased customer]"; agents'
    /// clients drop them, live or on resume; the messages of their chat
    /// from the last 48 hours (theirs and the bot's) are queued for
    /// deletion in Telegram, which the running server does. Then the
    /// database is compacted (VACUUM, WAL emptied) so no deleted text stays
    /// in its files. A content-free audit record stays. Works while the
    /// server runs. Customers can ask for it themselves with /forgetme.
    /// See docs/privacy.md.
    Erase {
        /// Their Telegram user id.
        telegram_user_id: i64,
        /// Erase (without it, only the preview).
        #[arg(long)]
        yes: bool,
    },
    /// Mark a Telegram user as VIP: their new tickets route by the
    /// `vip = true` rules of [[routing]] (the VIP queue by default). Works
    /// before they ever write.
    Vip {
        /// Their Telegram user id.
        telegram_user_id: i64,
        /// Take the mark away instead.
        #[arg(long)]
        off: bool,
    },
}

#[derive(Subcommand)]
enum AgentCmd {
    /// Add an agent and print their token (shown once; only its hash is stored).
    Add {
        /// Login name: 1-32 of a-z, 0-9, '.', '_', '-'.
        name: String,
        /// Name shown to colleagues and customers. Default: the login name.
        #[arg(long)]
        display_name: Option<String>,
        /// agent: acts on their queues' tickets; supervisor: on all tickets.
        #[arg(long, default_value = "agent", value_parser = ["agent", "supervisor"])]
        role: String,
        /// Queues the agent works, comma-separated (e.g. L1,L2).
        #[arg(long, value_delimiter = ',', default_value = "L1")]
        queues: Vec<String>,
        /// How many chats the agent holds at once.
        #[arg(long, default_value_t = 5)]
        capacity: u32,
    },
    /// List agents (never their tokens).
    List,
    /// Remove an agent: their token stops working and open connections close;
    /// their tickets go back to the queue unassigned.
    Remove { name: String },
    /// Replace an agent's token and print the new one; the old one stops working.
    Token { name: String },
    /// Link an agent's own Telegram account: what they write in customer
    /// groups counts as staff's and answers customers (docs/groups.md).
    Link {
        name: String,
        /// Their Telegram user id.
        telegram_user_id: i64,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        // One line, no backtrace: operators read this.
        eprintln!("relay-server: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let mut settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    if let Some(db) = &cli.db {
        settings.db = db.to_string_lossy().into_owned();
    }
    init_logging(&settings.log, settings.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Cmd::Serve { listen } => serve(settings, listen).await,
            Cmd::Migrate => {
                let path = settings.db_path()?;
                let applied = store::migrate(&path)?;
                match applied.as_slice() {
                    [] => println!(
                        "{}: schema is up to date (version {})",
                        path.display(),
                        store::latest_schema()
                    ),
                    v => println!(
                        "{}: applied migrations {v:?}; schema is at version {}",
                        path.display(),
                        store::latest_schema()
                    ),
                }
                Ok(())
            }
            Cmd::Backup { file } => {
                let db = settings.db_path()?;
                let c = store::backup::backup(&db, &file)?;
                println!(
                    "backed up {} at seq {} ({} open tickets, schema {}, {} bytes) to {}",
                    db.display(),
                    c.seq,
                    c.open_tickets,
                    c.schema,
                    c.bytes,
                    file.display()
                );
                Ok(())
            }
            Cmd::Restore { file } => {
                let db = settings.db_path()?;
                let r = store::backup::restore(&file, &db)?;
                if let Some(kept) = &r.kept {
                    println!("kept the database it replaces as {}", kept.display());
                }
                println!(
                    "restored {} at seq {} ({} open tickets, schema {}) from {}",
                    db.display(),
                    r.copied.seq,
                    r.copied.open_tickets,
                    r.copied.schema,
                    file.display()
                );
                Ok(())
            }
            Cmd::Agent(cmd) => agent(settings, cmd).await,
            Cmd::Org(cmd) => org(settings, cmd).await,
            Cmd::Group(cmd) => group(settings, cmd).await,
            Cmd::Customer(CustomerCmd::Export {
                telegram_user_id,
                to,
                notes,
            }) => {
                let store = relay_server::open_store(&settings)?;
                let now = store.now();
                let gathered = store
                    .readers()
                    .read(move |c| {
                        Ok(relay_server::domain::privacy::export(
                            c,
                            telegram_user_id,
                            notes,
                            now,
                        ))
                    })
                    .await;
                let export = gathered
                    .map_err(anyhow::Error::from)
                    .and_then(|r| r.map_err(anyhow::Error::from));
                if export.is_err() {
                    store.close().await;
                }
                let export = export?;
                let files = relay_server::file_store(&settings)?;
                let written = relay_server::export::write(&export, &files, &to)
                    .with_context(|| format!("cannot write the export to {}", to.display()));
                if let Ok(w) = &written {
                    let entry = store::access::AuditEntry {
                        at: now,
                        actor: store::access::Actor::Cli,
                        action: "export".into(),
                        ticket: None,
                        customer: Some(export.customer.id),
                        detail: format!(
                            "{} tickets, {} messages, {} files",
                            export.tickets.len(),
                            w.messages,
                            w.files_saved
                        ),
                    };
                    store.write(move |ctx| store::access::log(ctx, &entry)).await?;
                }
                store.close().await;
                let w = written?;
                println!(
                    "exported customer {} (Telegram {}): {} tickets, {} messages{}, {} files saved{} to {}",
                    export.customer.id,
                    telegram_user_id,
                    export.tickets.len(),
                    w.messages,
                    if export.notes_left_out > 0 {
                        format!(" ({} internal notes left out; --notes includes them)", export.notes_left_out)
                    } else {
                        String::new()
                    },
                    w.files_saved,
                    if w.files_missing > 0 {
                        format!(" ({} not kept here, listed in export.json)", w.files_missing)
                    } else {
                        String::new()
                    },
                    w.json.display()
                );
                Ok(())
            }
            Cmd::Customer(CustomerCmd::Erase {
                telegram_user_id,
                yes,
            }) => {
                let store = relay_server::open_store(&settings)?;
                let db = settings.db_path()?;
                let done = if yes {
                    store
                        .write(move |ctx| {
                            relay_server::domain::privacy::erase(
                                ctx,
                                telegram_user_id,
                                store::access::Actor::Cli,
                            )
                        })
                        .await
                } else {
                    store
                        .readers()
                        .read(move |c| {
                            Ok(relay_server::domain::privacy::erase_preview(
                                c,
                                telegram_user_id,
                            ))
                        })
                        .await?
                };
                // The files, and the WAL emptied (the compaction below
                // rebuilds the database file as well).
                let files = relay_server::file_store(&settings)?;
                let finished = if yes && done.is_ok() {
                    relay_server::finish_erasures(&store, &files).await
                } else {
                    Ok(0)
                };
                store.close().await;
                let e = done?;
                finished?;
                let what = format!(
                    "{} (Telegram {}): {} tickets, {} messages, {} events, {} attachments",
                    e.customer.map_or_else(
                        || "a person known from customer groups".to_owned(),
                        |c| format!("customer {c}")
                    ),
                    e.telegram_user_id,
                    e.tickets,
                    e.messages,
                    e.events,
                    e.files.len()
                );
                if !yes {
                    println!("would erase {what}, and their dialogue, Telegram updates and name in other tickets");
                    println!("nothing erased; run again with --yes to erase");
                    return Ok(());
                }
                let c = store::erase::compact(&db)?;
                println!(
                    "erased {what} (files removed), {} other rows, {} mentions in other tickets",
                    e.rows, e.mentions
                );
                if e.telegram_messages > 0 {
                    println!(
                        "{} messages of their chat from the last 48 hours are queued for deletion in Telegram; the running server deletes them",
                        e.telegram_messages
                    );
                }
                println!(
                    "compacted {}: {} -> {} bytes{}",
                    db.display(),
                    c.before,
                    c.after,
                    if c.wal_truncated {
                        ", WAL emptied"
                    } else {
                        "; the WAL is held by a reader and is emptied at the next checkpoint"
                    }
                );
                Ok(())
            }
            Cmd::Customer(CustomerCmd::Vip {
                telegram_user_id,
                off,
            }) => {
                let store = relay_server::open_store(&settings)?;
                let result = store
                    .write(move |ctx| {
                        relay_server::domain::intake::set_vip(ctx, telegram_user_id, !off)
                    })
                    .await;
                store.close().await;
                let c = result?;
                println!(
                    "customer {} (Telegram {}) is {}",
                    c.id,
                    c.telegram_user_id,
                    if c.vip { "VIP" } else { "not VIP" }
                );
                Ok(())
            }
            Cmd::Report {
                from,
                to,
                by,
                format,
                zone,
                window,
            } => report(settings, from, to, by, &format, &zone, &window).await,
            Cmd::Audit {
                since,
                agent,
                customer,
                ticket,
                action,
                limit,
                json,
            } => {
                let store = relay_server::open_store(&settings)?;
                let since = match since {
                    Some(s) => {
                        let d = relay_server::domain::hours::duration(&s)
                            .map_err(|e| anyhow::anyhow!("--since {s:?}: {e}"))?;
                        Some(Timestamp(store.now().0.saturating_sub(shared::duration_ms(d))))
                    }
                    None => None,
                };
                let q = store::access::AuditQuery {
                    since,
                    agent,
                    telegram_user_id: customer,
                    ticket_number: ticket,
                    action,
                    limit: limit.max(1),
                };
                let rows = store
                    .readers()
                    .read(move |c| store::access::query(c, &q))
                    .await;
                store.close().await;
                let rows = rows?;
                if json {
                    print!("{}", relay_server::audit_log::json_lines(&rows));
                } else if rows.is_empty() {
                    println!("no audit records match");
                } else {
                    print!("{}", relay_server::audit_log::table(&rows));
                }
                Ok(())
            }
            Cmd::Prune { compact } => {
                let store = relay_server::open_store(&settings)?;
                let desk = Arc::new(relay_server::desk(&settings)?);
                let files = relay_server::file_store(&settings)?;
                let pruned = relay_server::prune_all(&store, &desk, &files).await;
                let counts = store
                    .readers()
                    .read(store::retention::row_counts)
                    .await;
                store.close().await;
                let p = pruned?;
                println!(
                    "pruned: {} tickets and {} customers anonymized, {} tickets and {} customers deleted, {} other rows, {} files",
                    p.anonymized_tickets,
                    p.anonymized_customers,
                    p.deleted_tickets,
                    p.deleted_customers,
                    p.rows,
                    p.files.len()
                );
                let kept: Vec<String> = counts?
                    .into_iter()
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect();
                println!("rows kept: {}", kept.join(", "));
                if compact {
                    let db = settings.db_path()?;
                    let c = store::erase::compact(&db)?;
                    println!("compacted {}: {} -> {} bytes", db.display(), c.before, c.after);
                }
                Ok(())
            }
            Cmd::Seed { customers } => {
                let store = relay_server::open_store(&settings)?;
                let desk = Arc::new(relay_server::desk(&settings)?);
                let n = relay_server::seed::seed(&store, desk, customers).await;
                store.close().await;
                println!("filed {} messages from {customers} customers", n?);
                Ok(())
            }
        }
    })
}

async fn report(
    settings: Settings,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    format: &str,
    zone: &str,
    window: &str,
) -> Result<()> {
    use relay_server::domain::hours;
    use relay_server::domain::report::{self, By, Period};
    let print: fn(&report::Report) -> String = match format {
        "table" => relay_server::report_format::table,
        "csv" => relay_server::report_format::csv,
        "json" => relay_server::report_format::json,
        other => bail!("--format {other:?}: use table, csv or json"),
    };
    let by = match by.as_deref() {
        None => None,
        Some(b) => Some(By::parse(b).ok_or_else(|| {
            anyhow::anyhow!(
                "--by {b:?}: use queue, agent, topic, organisation, language or variant"
            )
        })?),
    };
    let tz = hours::zone(zone).map_err(|e| anyhow::anyhow!("--zone: {e}"))?;
    let window =
        hours::duration(window).map_err(|e| anyhow::anyhow!("--window {window:?}: {e}"))?;
    let store = relay_server::open_store(&settings)?;
    let now = store.now();
    let when = |s: &Option<String>, flag: &str| -> Result<Option<Timestamp>> {
        s.as_deref()
            .map(|s| hours::parse_local(s, &tz).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let to = when(&to, "to")?.unwrap_or(now);
    let from = when(&from, "from")?.unwrap_or(to - std::time::Duration::from_secs(7 * 86_400));
    let desk = relay_server::desk(&settings)?;
    let period = Period {
        from,
        to,
        zone: tz,
        by,
        window,
        now,
    };
    let result = store
        .readers()
        .read(move |c| Ok(report::report(c, &desk, &period)))
        .await;
    store.close().await;
    print!("{}", print(&result??));
    Ok(())
}

fn init_logging(default: &str, format: relay_server::settings::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Card numbers, e-mail addresses and phone numbers never reach
        // the log (docs/privacy.md).
        .with_writer(pii::MaskedStderr);
    match format {
        relay_server::settings::LogFormat::Text => log.with_ansi(ansi).init(),
        relay_server::settings::LogFormat::Json => log.json().with_ansi(false).init(),
    }
}

async fn serve(mut settings: Settings, listen: Option<String>) -> Result<()> {
    if let Some(l) = listen {
        settings.listen = l;
    }
    let addr = settings.listen.clone();
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            bail!("cannot listen on {addr}: the address is already in use")
        }
        Err(e) => bail!("cannot listen on {addr}: {e}"),
    };
    // A bad certificate is found before anything else starts.
    let scheme = match relay_server::tls_acceptor(&settings)? {
        Some(_) => "https",
        None => "http",
    };
    let metrics = relay_server::bind_metrics(&settings).await?;
    let store = relay_server::open_store(&settings)?;
    let shutdown = CancellationToken::new();
    tokio::spawn(signals(shutdown.clone()));
    let local = listener.local_addr()?;
    tracing::info!(db = %settings.db_path()?.display(), "serving on {local}");
    println!("relay-server listening on {scheme}://{local}");
    std::io::stdout().flush()?;
    relay_server::serve_bound(store, &settings, listener, metrics, shutdown).await?;
    Ok(())
}

async fn signals(token: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
    token.cancel();
}

async fn org(settings: Settings, cmd: OrgCmd) -> Result<()> {
    use relay_server::domain::groups::orgs::{self, NewOrganisation};
    let store = relay_server::open_store(&settings)?;
    let desk = Arc::new(relay_server::desk(&settings)?);
    let result = match cmd {
        OrgCmd::Add {
            name,
            queue,
            calendar,
            reply_sla,
            language,
            vip,
        } => {
            let sla = reply_sla.unwrap_or_else(|| settings.groups.reply_sla.clone());
            let new = NewOrganisation {
                name,
                vip,
                queue,
                calendar,
                reply_sla: relay_server::domain::hours::duration(&sla)
                    .map_err(|e| anyhow::anyhow!("reply SLA {sla:?}: {e}"))?,
                language,
            };
            store
                .write(move |ctx| orgs::add(ctx, &desk, &new))
                .await
                .map(|o| {
                    println!(
                        "added organisation {} (id {}, queue {}, reply SLA {sla})",
                        o.name, o.id, o.queue
                    )
                })
                .map_err(anyhow::Error::from)
        }
        OrgCmd::List => store
            .readers()
            .read(store::groups::organisations)
            .await
            .map(|l| print!("{}", relay_server::group_list::organisations(&l)))
            .map_err(anyhow::Error::from),
        OrgCmd::Safety {
            name,
            newcomer_messages,
            newcomer_hours,
            captcha,
        } => {
            let (who, mode) = (name.clone(), captcha.clone());
            store
                .write(move |ctx| {
                    orgs::set_safety(ctx, &who, newcomer_messages, newcomer_hours, mode.as_deref())
                })
                .await
                .map(|()| {
                    let or_default = |v: Option<String>| v.unwrap_or_else(|| "[safety]'s".into());
                    println!(
                        "{name}: newcomers are limited until {} real messages or {} hours; captcha: {}",
                        or_default(newcomer_messages.map(|m| m.to_string())),
                        or_default(newcomer_hours.map(|h| h.to_string())),
                        or_default(captcha),
                    )
                })
                .map_err(anyhow::Error::from)
        }
        OrgCmd::Share { name, state } => {
            let (who, on) = (name.clone(), state == "on");
            store
                .write(move |ctx| orgs::set_shared(ctx, &who, on))
                .await
                .map(|groups| {
                    if on {
                        println!(
                            "{name}: the tickets of its {groups} group(s) are shown in the mini app to the people in each"
                        )
                    } else {
                        println!("{name}: its group tickets are no longer shown in the mini app")
                    }
                })
                .map_err(anyhow::Error::from)
        }
        OrgCmd::Question { cmd } => match cmd {
            QuestionCmd::Add {
                organisation,
                question,
                right,
                wrong,
            } => {
                let mut answers = vec![right];
                answers.extend(wrong);
                store
                    .write(move |ctx| orgs::add_question(ctx, &organisation, &question, &answers))
                    .await
                    .map(|n| println!("added; the organisation has {n} question(s)"))
                    .map_err(anyhow::Error::from)
            }
            QuestionCmd::List { organisation } => store
                .write(move |ctx| orgs::questions(ctx, &organisation))
                .await
                .map(|list| {
                    for (q, answers) in list {
                        println!(
                            "{q}\n  right: {}\n  wrong: {}",
                            answers[0],
                            answers[1..].join(" | ")
                        );
                    }
                })
                .map_err(anyhow::Error::from),
            QuestionCmd::Clear { organisation } => store
                .write(move |ctx| orgs::clear_questions(ctx, &organisation))
                .await
                .map(|n| println!("removed {n} question(s)"))
                .map_err(anyhow::Error::from),
        },
    };
    store.close().await;
    result
}

async fn group(settings: Settings, cmd: GroupCmd) -> Result<()> {
    use relay_server::domain::groups::orgs;
    let store = relay_server::open_store(&settings)?;
    let desk = Arc::new(relay_server::desk(&settings)?);
    let result = match cmd {
        GroupCmd::List => store
            .readers()
            .read(|c| Ok((store::groups::groups(c)?, store::groups::organisations(c)?)))
            .await
            .map(|(g, o)| print!("{}", relay_server::group_list::groups(&g, &o)))
            .map_err(anyhow::Error::from),
        GroupCmd::Bind {
            chat_id,
            organisation,
        } => {
            let name = organisation.clone();
            store
                .write(move |ctx| orgs::bind(ctx, &desk, chat_id, Some(&name)))
                .await
                .map(|()| println!("group {chat_id} is bound to {organisation}"))
                .map_err(anyhow::Error::from)
        }
        GroupCmd::Calm { chat_id } => store
            .write(move |ctx| relay_server::domain::safety::raid::calm(ctx, &desk, chat_id))
            .await
            .map(|ended| {
                if ended {
                    println!("raid protection of group {chat_id} ended")
                } else {
                    println!("group {chat_id} was not under raid protection")
                }
            })
            .map_err(anyhow::Error::from),
        GroupCmd::Person {
            chat_id,
            telegram_user_id,
            side,
        } => {
            let staff = side == "staff";
            store
                .write(move |ctx| orgs::set_side(ctx, chat_id, telegram_user_id, staff))
                .await
                .map(|()| {
                    println!(
                        "in group {chat_id}, Telegram user {telegram_user_id} counts as {side}"
                    )
                })
                .map_err(anyhow::Error::from)
        }
        GroupCmd::Unbind { chat_id } => store
            .write(move |ctx| orgs::bind(ctx, &desk, chat_id, None))
            .await
            .map(|()| println!("group {chat_id} is bound to no organisation"))
            .map_err(anyhow::Error::from),
        GroupCmd::Show { chat_id, limit } => {
            let now = store.now();
            store
                .readers()
                .read(move |c| {
                    let list = store::groups::conversations(c, chat_id, limit)?;
                    let names = list
                        .iter()
                        .map(|x| store::groups::opener_name(c, x.id).map(Option::unwrap_or_default))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((store::groups::group(c, chat_id)?, list, names))
                })
                .await
                .map_err(anyhow::Error::from)
                .and_then(|(g, list, names)| {
                    let g =
                        g.ok_or_else(|| anyhow::anyhow!("the bot is not in group {chat_id}"))?;
                    println!("{} ({})", g.title, g.chat_id);
                    print!(
                        "{}",
                        relay_server::group_list::conversations(&list, &names, now)
                    );
                    Ok(())
                })
        }
    };
    store.close().await;
    result
}

async fn agent(settings: Settings, cmd: AgentCmd) -> Result<()> {
    let store = relay_server::open_store(&settings)?;
    let desk = Arc::new(relay_server::desk(&settings)?);
    let result = agent_cmd(&store, desk, cmd).await;
    store.close().await;
    result
}

async fn agent_cmd(
    store: &store::Store,
    desk: Arc<relay_server::domain::desk::Desk>,
    cmd: AgentCmd,
) -> Result<()> {
    match cmd {
        AgentCmd::Add {
            name,
            display_name,
            role,
            queues: qs,
            capacity,
        } => {
            let new = NewAgent {
                name,
                display_name,
                role: Role::parse(&role).context("role must be agent or supervisor")?,
                queues: qs.into_iter().map(|q| QueueId::new(q.trim())).collect(),
                capacity,
            };
            let (agent, token) = store
                .write(move |ctx| agents::add(ctx, &desk.queues, &new))
                .await?;
            let qs: Vec<&str> = agent.queues.iter().map(|q| q.as_str()).collect();
            println!(
                "added agent {} (id {}, role {}, queues {}, capacity {})",
                agent.name,
                agent.id,
                agent.role.as_str(),
                qs.join(","),
                agent.capacity
            );
            println!("token: {token}");
            eprintln!("store the token now: it is shown only once");
        }
        AgentCmd::List => {
            let list = store.readers().read(read::agents).await?;
            if list.is_empty() {
                println!("no agents; add one with `relay-server agent add NAME`");
            }
            for a in list {
                let qs: Vec<&str> = a.queues.iter().map(|q| q.as_str()).collect();
                println!(
                    "{:>4}  {:<20} {:<10} {:<7} queues={} capacity={}  {}",
                    a.id,
                    a.name,
                    a.role.as_str(),
                    a.presence.as_str(),
                    qs.join(","),
                    a.capacity,
                    a.display_name
                );
            }
        }
        AgentCmd::Remove { name } => {
            let n = store
                .write(move |ctx| agents::remove(ctx, &desk, &name))
                .await?;
            println!("removed; {n} ticket(s) went back to their queues");
        }
        AgentCmd::Token { name } => {
            let token = store
                .write(move |ctx| agents::rotate_token(ctx, &name))
                .await?;
            println!("token: {token}");
            eprintln!("store the token now: it is shown only once; the old one no longer works");
        }
        AgentCmd::Link {
            name,
            telegram_user_id,
        } => {
            let who = name.clone();
            store
                .write(move |ctx| {
                    relay_server::domain::groups::orgs::link(ctx, &who, telegram_user_id)
                })
                .await?;
            println!(
                "linked {name} to Telegram user {telegram_user_id}: their messages in customer groups count as staff's"
            );
        }
    }
    Ok::<(), anyhow::Error>(())
}
