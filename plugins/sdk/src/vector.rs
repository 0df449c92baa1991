//! Helpers for vector columns, written so that they compile to fast WebAssembly: few loop
//! iterations (each loop header of a plugin pays the host's time-limit check) and independent
//! lanes the compiler can turn into 128-bit SIMD.

/// Scales `v` to unit Euclidean length; an all-zero vector stays zero.
///
/// The squares are summed in 8 lanes (lane `i` takes elements `i`, `i + 8`, ...), combined
/// pairwise, then the tail is added: an order that is fixed, so the result is the same on every
/// platform and thread, and that breaks the chain of dependent additions a plain `sum()` has.
pub fn normalize(v: &mut [f32]) {
    let mut lanes = [0f32; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for (acc, x) in lanes.iter_mut().zip(c) {
            *acc += x * x;
        }
    }
    let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
    let [a, b, c, d, e, f, g, h] = lanes;
    let sum = ((a + e) + (b + f)) + ((c + g) + (d + h)) + tail;
    let norm = sum.sqrt().max(f32::MIN_POSITIVE);
    for x in v.iter_mut() {
        *x /= norm;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_length_and_zero_stays_zero() {
        let mut v: Vec<f32> = (0..771).map(|i| (i as f32 * 0.37).sin()).collect();
        normalize(&mut v);
        let len: f64 = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum();
        assert!((len - 1.0).abs() < 1e-5, "{len}");
        let mut z = vec![0f32; 5];
        normalize(&mut z);
        assert_eq!(z, vec![0f32; 5]);
        let mut one = vec![3f32, 4.0];
        normalize(&mut one);
        assert_eq!(one, vec![0.6, 0.8]);
    }
}
