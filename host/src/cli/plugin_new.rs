//! `plugin new NAME --world ...`: scaffold a guest crate on the embedded SDK.

use std::path::PathBuf;

use clap::ValueEnum;

use super::error::CliError;
use super::printer::Printer;
use crate::registry::{ScaffoldWorld, scaffold};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorldArg {
    FieldGenerator,
    Validator,
    SyncHandler,
}

pub fn run(
    name: String,
    world: WorldArg,
    dir: Option<PathBuf>,
    printer: &Printer,
) -> Result<(), CliError> {
    let parent = match dir {
        Some(d) => d,
        None => std::env::current_dir().map_err(CliError::failure)?,
    };
    let world = match world {
        WorldArg::FieldGenerator => ScaffoldWorld::FieldGenerator,
        WorldArg::Validator => ScaffoldWorld::Validator,
        WorldArg::SyncHandler => ScaffoldWorld::SyncHandler,
    };
    let s = scaffold(&parent, &name, world)?;
    if printer.is_json() {
        printer.json(&s);
    } else {
        printer.out(&format!(
            "created {} ({:?} plugin `{}`)\n  cd {}\n  {}    # runs its tests\n  {}    # builds {}",
            s.dir.display(),
            s.world,
            s.plugin_name,
            s.dir.display(),
            s.test_command,
            s.build_command,
            s.component.display()
        ));
    }
    Ok(())
}
