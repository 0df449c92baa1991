//! Numeric limits: `min`/`max` against the value type (integers compared exactly, Float
//! ranges inside 32 bits and holding at least one 32-bit value), and user-listed values
//! against the field's own limits.

use serde_json::Value;

use super::field::Field;
use super::types::DataType;
use super::validate::Attr;

pub(super) fn check_range(f: &Field, attr: &mut Attr<'_>) {
    let vt = f.value_type();
    if f.min.is_none() && f.max.is_none() {
        return;
    }
    if !vt.is_numeric() {
        let which = if f.min.is_some() { "min" } else { "max" };
        attr(which, format!("does not apply to {}", f.data_type));
        return;
    }
    let bounds = [(f.min, "min"), (f.max, "max")];
    if let Some((lo, hi)) = vt.integer_range() {
        // Compared as exact integers: near the i64 limits floats would merge neighbours.
        let mut exact = [None, None];
        for (k, (value, name)) in bounds.into_iter().enumerate() {
            let Some(b) = value else { continue };
            match b.as_i64() {
                None if b.as_f64().fract() != 0.0 => {
                    attr(name, format!("{vt} takes whole numbers (got {b})"))
                }
                Some(v) if (lo..=hi).contains(&v) => exact[k] = Some(v),
                _ => attr(name, format!("{b} is outside the {vt} range {lo}..={hi}")),
            }
        }
        if let [Some(min), Some(max)] = exact
            && min > max
        {
            attr("min", format!("min ({min}) must be <= max ({max})"));
        }
        return;
    }
    let single = vt == DataType::Float;
    let limit = if single {
        f64::from(f32::MAX)
    } else {
        f64::MAX
    };
    for (value, name) in bounds {
        if let Some(b) = value
            && !(-limit..=limit).contains(&b.as_f64())
        {
            attr(
                name,
                format!(
                    "{b} is outside the {vt} range ±{limit:e}{}",
                    if single { " (32-bit): use Double" } else { "" }
                ),
            );
            return;
        }
    }
    if let (Some(lo), Some(hi)) = (f.min, f.max) {
        let (min, max) = (lo.as_f64(), hi.as_f64());
        if min > max {
            attr("min", format!("min ({lo}) must be <= max ({hi})"));
        } else if single {
            // The smallest 32-bit float >= min must not pass max (1e-50..2e-50 holds none).
            let mut low = min as f32;
            if f64::from(low) < min {
                low = low.next_up();
            }
            if f64::from(low) > max {
                attr(
                    "min",
                    format!("no 32-bit Float lies between min ({lo}) and max ({hi}): use Double"),
                );
            }
        }
    }
}

/// An enum value must also respect the field's own `min`/`max` and `min_length`: the user
/// allowed only values inside all of them.
pub(super) fn within_controls(f: &Field, v: &Value) -> Result<(), String> {
    if let Some(x) = v.as_f64() {
        let exact = v.as_i64();
        let below = f.min.is_some_and(|lo| match (exact, lo.as_i64()) {
            (Some(a), Some(b)) => a < b,
            _ => x < lo.as_f64(),
        });
        let above = f.max.is_some_and(|hi| match (exact, hi.as_i64()) {
            (Some(a), Some(b)) => a > b,
            _ => x > hi.as_f64(),
        });
        if below || above {
            return Err(format!("{v} is outside [min, max]"));
        }
    }
    if let (Some(s), Some(min)) = (v.as_str(), f.min_length)
        && s.len() < min as usize
    {
        return Err(format!(
            "\"{s}\" is {} UTF-8 bytes, under min_length {min}",
            s.len()
        ));
    }
    Ok(())
}
