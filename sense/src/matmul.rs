//! The matrix product behind every layer of the encoder, `out = x · w`, written so the
//! compiler vectorises it: each weight matrix is packed once at load into column panels, and a
//! small block of output rows × one panel is accumulated in registers over the whole inner
//! dimension. On x86-64 CPUs with AVX2 and FMA (checked at run time) the same code is compiled
//! a second time for them, with fused multiply-adds.

/// Columns per panel: two AVX registers of `f32`, or four SSE ones.
const PANEL: usize = 16;
/// Output rows computed together: each loaded weight row is used this many times, and the
/// accumulators (`ROWS × PANEL` floats) still fit in the 16 vector registers.
const ROWS: usize = 4;

/// A `rows × cols` weight matrix packed for [`matmul`]: `cols / PANEL` panels, each the
/// matrix's `PANEL` columns as `rows` contiguous rows.
#[derive(Debug)]
pub(crate) struct Weights {
    rows: usize,
    cols: usize,
    panels: Vec<f32>,
}

impl Weights {
    /// Packs a row-major `rows × cols` matrix; `None` unless `cols` is a multiple of the panel
    /// width (every matrix of the model is) and `data` has `rows × cols` elements.
    pub(crate) fn pack(data: &[f32], rows: usize, cols: usize) -> Option<Self> {
        if cols % PANEL != 0 || data.len() != rows.checked_mul(cols)? {
            return None;
        }
        let mut panels = Vec::with_capacity(data.len());
        for panel in 0..cols / PANEL {
            for row in data.chunks_exact(cols) {
                panels.extend_from_slice(&row[panel * PANEL..(panel + 1) * PANEL]);
            }
        }
        Some(Weights { rows, cols, panels })
    }
}

/// `out = x · w` for row-major `x` (`m × w.rows()`) and `out` (`m × w.cols()`).
pub(crate) fn matmul(x: &[f32], w: &Weights, out: &mut [f32]) {
    debug_assert_eq!(x.len() / w.rows * w.cols, out.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the two features the function is compiled for.
        unsafe { matmul_avx2_fma(x, w, out) };
        return;
    }
    product::<false>(x, w, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matmul_avx2_fma(x: &[f32], w: &Weights, out: &mut [f32]) {
    product::<true>(x, w, out);
}

/// The product, panel by panel; `FMA` fuses each multiply-add (only where the CPU has it:
/// elsewhere `mul_add` is a slow library call).
#[inline(always)]
fn product<const FMA: bool>(x: &[f32], w: &Weights, out: &mut [f32]) {
    let m = x.len() / w.rows;
    for (p, panel) in w.panels.chunks_exact(w.rows * PANEL).enumerate() {
        let mut row = 0;
        while row + ROWS <= m {
            block::<ROWS, FMA>(x, w, panel, row, p * PANEL, out);
            row += ROWS;
        }
        while row < m {
            block::<1, FMA>(x, w, panel, row, p * PANEL, out);
            row += 1;
        }
    }
}

/// Output rows `row..row + R`, columns `col..col + PANEL`, accumulated in registers.
#[inline(always)]
fn block<const R: usize, const FMA: bool>(
    x: &[f32],
    w: &Weights,
    panel: &[f32],
    row: usize,
    col: usize,
    out: &mut [f32],
) {
    let k = w.rows;
    let inputs: [&[f32]; R] = std::array::from_fn(|r| &x[(row + r) * k..(row + r + 1) * k]);
    let mut acc = [[0.0f32; PANEL]; R];
    for (i, weights) in panel.chunks_exact(PANEL).enumerate() {
        for r in 0..R {
            let v = inputs[r][i];
            for c in 0..PANEL {
                acc[r][c] = if FMA {
                    v.mul_add(weights[c], acc[r][c])
                } else {
                    acc[r][c] + v * weights[c]
                };
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        let start = (row + r) * w.cols + col;
        out[start..start + PANEL].copy_from_slice(acc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_naive_product() {
        let (m, k, n) = (7, 5, 32);
        let x: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let packed = Weights::pack(&w, k, n).unwrap();
        let mut out = vec![0.0; m * n];
        matmul(&x, &packed, &mut out);
        let mut plain = vec![0.0f32; m * n];
        product::<false>(&x, &packed, &mut plain);
        for i in 0..m {
            for j in 0..n {
                let expected: f32 = (0..k).map(|l| x[i * k + l] * w[l * n + j]).sum();
                assert!((out[i * n + j] - expected).abs() < 1e-5, "fast ({i}, {j})");
                assert!(
                    (plain[i * n + j] - expected).abs() < 1e-5,
                    "portable ({i}, {j})"
                );
            }
        }
    }

    #[test]
    fn refuses_shapes_it_cannot_pack() {
        assert!(Weights::pack(&[0.0; 10], 1, 10).is_none());
        assert!(Weights::pack(&[0.0; 16], 2, 16).is_none());
    }
}
