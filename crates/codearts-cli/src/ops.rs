//! The generated operation commands: the table types the generator fills in, the clap
//! commands built from them, and [`Input`], which hands the generated dispatcher typed flag
//! values.

use std::io::Read;
use std::path::Path;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use codearts_model::FilePart;
use codearts_transport::StreamingResponse;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::CliError;

/// Where a flag's value goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A path segment.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// A text field of a multipart form.
    Form,
    /// The file of a multipart form (`--file PATH`).
    File,
}

/// The value type of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Str,
    /// A 64-bit integer.
    Int,
    /// A floating-point number.
    Float,
    /// `true` or `false`.
    Bool,
}

/// One flag of an operation command.
#[derive(Debug)]
pub struct ArgSpec {
    /// The flag without dashes, e.g. `project-id`.
    pub flag: &'static str,
    /// The name on the wire, e.g. `project_id`.
    pub wire: &'static str,
    /// Where the value goes.
    pub loc: Loc,
    /// The value type.
    pub kind: Kind,
    /// Whether the flag must be given.
    pub required: bool,
    /// Whether the flag may be repeated (an array parameter).
    pub many: bool,
}

/// What an operation sends as its body.
#[derive(Debug)]
pub enum BodySpec {
    /// No body.
    None,
    /// JSON given with `--body`, decoded into the named type.
    Json {
        /// The model type of the body, e.g. `RunPipelineDTO`.
        type_name: &'static str,
    },
    /// A multipart form: `--file` and the text fields' flags.
    Multipart,
}

/// What an operation answers.
#[derive(Debug)]
pub enum ResponseSpec {
    /// A JSON document (or nothing), printed in the chosen output format.
    Json,
    /// A download, written to `--output-file` or stdout.
    Download,
}

/// One operation's command.
#[derive(Debug)]
pub struct OpSpec {
    /// The command name, e.g. `reject-manual-review`.
    pub command: &'static str,
    /// The SDK operation name, e.g. `reject_manual_review`.
    pub operation: &'static str,
    /// A one-line description.
    pub about: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// The flags, required ones first.
    pub args: &'static [ArgSpec],
    /// The body.
    pub body: BodySpec,
    /// The answer.
    pub response: ResponseSpec,
}

/// The answer of an operation.
pub enum Outcome {
    /// A JSON document.
    Json(serde_json::Value),
    /// A download still streaming.
    Download(StreamingResponse),
}

impl Outcome {
    /// The JSON form of a typed response.
    pub fn json<T: Serialize>(response: &T) -> Result<Outcome, CliError> {
        serde_json::to_value(response)
            .map(Outcome::Json)
            .map_err(|e| CliError::failure(format!("cannot print the response: {e}")))
    }
}

/// The clap command of one operation.
pub fn op_command(op: &'static OpSpec) -> Command {
    let mut cmd = Command::new(op.command).about(op.about).long_about(format!(
        "{}.\n\n{} {}\n\nSDK operation `{}`.",
        op.about, op.method, op.path, op.operation
    ));
    for spec in op.args {
        cmd = cmd.arg(flag_arg(spec));
    }
    if let BodySpec::Json { type_name } = op.body {
        cmd = cmd.arg(
            Arg::new("body")
                .long("body")
                .value_name("JSON|@FILE|-")
                .help(format!(
                "The request body ({type_name}): JSON text, @FILE to read a file, or - for stdin"
            )),
        );
    }
    if let ResponseSpec::Download = op.response {
        cmd = cmd.arg(
            Arg::new("output-file")
                .long("output-file")
                .value_name("PATH")
                .help("Write the download to PATH (default: stdout)"),
        );
    }
    cmd
}

fn flag_arg(spec: &'static ArgSpec) -> Arg {
    let where_ = match spec.loc {
        Loc::Path => "Path parameter",
        Loc::Query => "Query parameter",
        Loc::Header => "Header",
        Loc::Form => "Form field",
        Loc::File => "The file to upload as form field",
    };
    let mut help = format!("{where_} `{}`", spec.wire);
    if spec.loc == Loc::File {
        // curl's `-F name=@PATH;type=...` spelling, which users already know.
        help.push_str(
            "; append `;type=MIME` to set the part's content type (e.g. `icon.png;type=image/png`)",
        );
    }
    if spec.many {
        help.push_str(" (repeat for several values)");
    }
    let arg = Arg::new(spec.flag)
        .long(spec.flag)
        .required(spec.required)
        .help(help);
    let arg = match spec.kind {
        Kind::Str if spec.loc == Loc::File => arg.value_name("PATH"),
        Kind::Str => arg.value_name("TEXT"),
        Kind::Int => arg
            .value_name("INT")
            .allow_negative_numbers(true)
            .value_parser(value_parser!(i64)),
        Kind::Float => arg
            .value_name("NUMBER")
            .allow_negative_numbers(true)
            .value_parser(value_parser!(f64)),
        Kind::Bool => arg
            .value_name("true|false")
            .value_parser(value_parser!(bool)),
    };
    if spec.many {
        arg.action(ArgAction::Append)
    } else {
        arg.action(ArgAction::Set)
    }
}

/// The parsed flags of one operation command, read by the generated dispatcher.
pub struct Input<'a> {
    matches: &'a ArgMatches,
}

impl<'a> Input<'a> {
    /// Wraps the matches of an operation command.
    pub fn new(matches: &'a ArgMatches) -> Self {
        Input { matches }
    }

    /// A required flag (clap has checked that it is present).
    pub fn one<T: Clone + Default + Send + Sync + 'static>(&self, flag: &str) -> T {
        self.matches.get_one::<T>(flag).cloned().unwrap_or_default()
    }

    /// An optional flag.
    pub fn opt<T: Clone + Send + Sync + 'static>(&self, flag: &str) -> Option<T> {
        self.matches.get_one::<T>(flag).cloned()
    }

    /// A required repeatable flag.
    pub fn many<T: Clone + Send + Sync + 'static>(&self, flag: &str) -> Vec<T> {
        self.opt_many(flag).unwrap_or_default()
    }

    /// An optional repeatable flag.
    pub fn opt_many<T: Clone + Send + Sync + 'static>(&self, flag: &str) -> Option<Vec<T>> {
        self.matches
            .get_many::<T>(flag)
            .map(|values| values.cloned().collect())
    }

    /// The `--body`, decoded into the operation's body type; `None` when not given.
    pub fn body<T: DeserializeOwned>(&self) -> Result<Option<T>, CliError> {
        match self.matches.get_one::<String>("body") {
            None => Ok(None),
            Some(arg) => {
                let text = read_body_arg(arg)?;
                decode_body(&text).map(Some)
            }
        }
    }

    /// A required file flag, read whole.
    pub fn file(&self, flag: &str) -> Result<FilePart, CliError> {
        match self.opt_file(flag)? {
            Some(part) => Ok(part),
            None => Err(CliError::usage(format!("--{flag} is required"))),
        }
    }

    /// An optional file flag, read whole: `PATH` or, as curl writes it, `PATH;type=MIME`.
    pub fn opt_file(&self, flag: &str) -> Result<Option<FilePart>, CliError> {
        let Some(arg) = self.matches.get_one::<String>(flag) else {
            return Ok(None);
        };
        let (path, content_type) = split_file_arg(flag, arg)?;
        let file = std::fs::File::open(path)
            .map_err(|e| CliError::usage(format!("--{flag}: cannot read `{path}`: {e}")))?;
        let data = read_capped(file, &format!("--{flag} {path}"))?;
        let name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        let part = FilePart::new(name, data);
        Ok(Some(match content_type {
            Some(content_type) => part.set_content_type(content_type),
            None => part,
        }))
    }

    /// The `--output-file` of a download.
    pub fn output_file(&self) -> Option<&'a String> {
        self.matches
            .try_get_one::<String>("output-file")
            .ok()
            .flatten()
    }
}

/// The most bytes `--body @FILE`, `--body -` and `--file` read unless
/// [`ENV_MAX_BODY_BYTES`] says otherwise (64 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The environment variable that changes [`DEFAULT_MAX_BODY_BYTES`], in bytes.
pub const ENV_MAX_BODY_BYTES: &str = "CODEARTS_MAX_BODY_BYTES";

/// The request body limit: [`ENV_MAX_BODY_BYTES`] if set, else the default.
pub fn max_body_bytes() -> Result<u64, CliError> {
    match std::env::var(ENV_MAX_BODY_BYTES) {
        Err(_) => Ok(DEFAULT_MAX_BODY_BYTES),
        Ok(text) => text.trim().parse::<u64>().map_err(|_| {
            CliError::usage(format!(
                "{ENV_MAX_BODY_BYTES} must be a number of bytes, e.g. 67108864"
            ))
        }),
    }
}

/// Reads `reader` to the end, refusing more than the request body limit; reading stops just
/// past the limit, so an endless source (`/dev/zero`, a pipe) ends quickly.
pub fn read_capped(reader: impl Read, what: &str) -> Result<Vec<u8>, CliError> {
    let limit = max_body_bytes()?;
    let mut data = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| CliError::usage(format!("{what}: cannot read: {e}")))?;
    if data.len() as u64 > limit {
        return Err(CliError::usage(format!(
            "{what}: larger than the request body limit of {limit} bytes (set \
             {ENV_MAX_BODY_BYTES} to change it)"
        )));
    }
    Ok(data)
}

/// The text of a `--body` argument: the JSON itself, `@FILE`, or `-` for stdin; files and
/// stdin are read up to the request body limit ([`max_body_bytes`]).
pub fn read_body_arg(arg: &str) -> Result<String, CliError> {
    let (what, data) = if arg == "-" {
        (
            "--body -",
            read_capped(std::io::stdin().lock(), "--body -")?,
        )
    } else if let Some(path) = arg.strip_prefix('@') {
        let file = std::fs::File::open(path)
            .map_err(|e| CliError::usage(format!("--body @{path}: cannot read the file: {e}")))?;
        (
            "--body @FILE",
            read_capped(file, &format!("--body @{path}"))?,
        )
    } else {
        return Ok(arg.to_owned());
    };
    String::from_utf8(data).map_err(|_| CliError::usage(format!("{what}: the body is not UTF-8")))
}

/// Decodes a body, naming the field that does not fit.
pub fn decode_body<T: DeserializeOwned>(text: &str) -> Result<T, CliError> {
    // Syntax first, so "not JSON" and "wrong shape" read differently.
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| CliError::usage(format!("--body is not valid JSON: {e}")))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            CliError::usage(format!(
                "--body does not have the shape of the request body: {inner}"
            ))
        } else {
            CliError::usage(format!("--body: field `{path}`: {inner}"))
        }
    })
}

/// Splits `PATH;type=MIME` into the path and the content type. An argument that names an
/// existing file is a path as it is, so a file whose name contains `;type=` stays reachable.
pub fn split_file_arg<'s>(
    flag: &str,
    arg: &'s str,
) -> Result<(&'s str, Option<&'s str>), CliError> {
    if Path::new(arg).is_file() {
        return Ok((arg, None));
    }
    let Some((path, content_type)) = arg.rsplit_once(";type=") else {
        return Ok((arg, None));
    };
    let valid = content_type
        .split_once('/')
        .is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty())
        && content_type
            .bytes()
            .all(|b| b.is_ascii_graphic() || b == b' ');
    if !valid {
        return Err(CliError::usage(format!(
            "--{flag}: `{content_type}` is not a content type; write PATH;type=TYPE/SUBTYPE, e.g. icon.png;type=image/png"
        )));
    }
    Ok((path, Some(content_type)))
}

#[cfg(test)]
mod file_arg_tests {
    use super::split_file_arg;

    #[test]
    fn a_type_suffix_is_split_off_as_curl_writes_it() {
        assert_eq!(
            split_file_arg("file", "/no/such/icon.png").unwrap(),
            ("/no/such/icon.png", None)
        );
        assert_eq!(
            split_file_arg("file", "/no/such/icon.png;type=image/png").unwrap(),
            ("/no/such/icon.png", Some("image/png"))
        );
        assert!(split_file_arg("file", "/no/such/icon.png;type=png").is_err());
        assert!(split_file_arg("file", "/no/such/icon.png;type=image/png\r\nX: y").is_err());
    }
}
