//! The Universal Sentence Encoder's forward pass, as the reference package's numpy backend
//! computes it, on a batch of tokenised texts laid end to end:
//!
//! 1. each token's 512-d embedding: its 8-bit table row dequantised with its chunk's scale and
//!    offset (the table is never held as floats);
//! 2. one projection to 3 × 256 and a layer norm over all 768;
//! 3. three CNN branches (n-grams of 2, 3 and 5 tokens, windows never crossing a text's
//!    bounds): two residual convolutions each;
//! 4. [embedding | branch 2 | branch 3 | branch 5] (1280) layer-normed, summed over each
//!    text's tokens and projected to 512, divided by √tokens;
//! 5. a residual DNN (512 → 320 → 320 → 512, tanh) and L2 normalisation.

use std::io::{Read, Seek};
use std::ops::Range;

use crate::matmul::{matmul, Weights};
use crate::npz::{Npz, WeightsError};

/// The length of an embedding.
pub const DIM: usize = 512;
/// Width of each CNN branch.
const BRANCH: usize = 256;
/// The embedding table is stored as this many interleaved chunks (row `id` is row
/// `id / CHUNKS` of chunk `id % CHUNKS`), each with its own scale and offset.
const CHUNKS: usize = 17;
/// Rows per chunk.
const CHUNK_ROWS: usize = 7530;
/// The CNN branches: (n-gram length, tokens of left context), as in the reference.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];
/// Features per token before pooling: the embedding and the three branches.
const FEATURES: usize = DIM + ORDERS.len() * BRANCH;
/// Width of the DNN's hidden layers.
const HIDDEN: usize = 320;

/// A layer norm's gain and bias.
#[derive(Debug)]
struct LayerNorm {
    gain: Vec<f32>,
    bias: Vec<f32>,
}

/// One CNN branch: two convolutions over windows of `n` tokens starting `left` before each.
#[derive(Debug)]
struct Branch {
    n: usize,
    left: usize,
    convolutions: [Convolution; 2],
}

/// A convolution's weights (`n × 256 → 256`) and bias.
#[derive(Debug)]
struct Convolution {
    weights: Weights,
    bias: Vec<f32>,
}

/// The encoder's weights, as read from weights.npz.
#[derive(Debug)]
pub(crate) struct Encoder {
    /// The embedding table, one byte per value, row `id` at `id × DIM` (65 MB).
    table: Vec<u8>,
    /// Each chunk's dequantisation: value = byte × scale + offset.
    scale: Vec<f32>,
    offset: Vec<f32>,
    /// Embedding → the three branches' inputs (512 → 768).
    projection: Weights,
    projection_bias: Vec<f32>,
    projection_norm: LayerNorm,
    branches: Vec<Branch>,
    /// Over the 1280 features of a token.
    features_norm: LayerNorm,
    /// Pooled features → sentence (1280 → 512).
    pool: Weights,
    pool_bias: Vec<f32>,
    /// The DNN: `y0 = relu(m·d0)`, `y1 = relu(m·p1 + y0·d1)`, `y2 = relu(y1·d2)`,
    /// `z = tanh(y1·p3 + y2·d3)`.
    d0: Weights,
    d1: Weights,
    p1: Weights,
    d2: Weights,
    p3: Weights,
    d3: Weights,
    /// The layer norms' epsilon, and the floor of the squared norm in the final normalisation.
    eps: f32,
}

/// Packs the matrix `name`.
fn pack(name: &str, data: &[f32], rows: usize, cols: usize) -> Result<Weights, WeightsError> {
    Weights::pack(data, rows, cols).ok_or_else(|| WeightsError::Shape {
        name: name.to_owned(),
        expected: "columns in whole panels".into(),
        actual: format!("{rows} x {cols}"),
    })
}

/// Reads the matrix `name` and packs it.
fn weights<R: Read + Seek>(
    npz: &mut Npz<R>,
    name: &str,
    rows: usize,
    cols: usize,
) -> Result<Weights, WeightsError> {
    pack(name, &npz.f32(name, &[rows, cols])?, rows, cols)
}

impl Encoder {
    /// Reads every array the forward pass needs, checking each one's type and shape.
    pub(crate) fn read<R: Read + Seek>(npz: &mut Npz<R>) -> Result<Self, WeightsError> {
        let mut table = vec![0u8; CHUNKS * CHUNK_ROWS * DIM];
        for chunk in 0..CHUNKS {
            npz.u8_with(&format!("q{}", chunk + 1), &[CHUNK_ROWS, DIM], |rows| {
                for (i, row) in rows.chunks_exact(DIM).enumerate() {
                    let id = i * CHUNKS + chunk;
                    table[id * DIM..(id + 1) * DIM].copy_from_slice(row);
                }
            })?;
        }
        let names = ["2", "3", "5"];
        let mut projection = Vec::with_capacity(DIM * ORDERS.len() * BRANCH);
        let (mut projection_bias, mut gain, mut bias) = (Vec::new(), Vec::new(), Vec::new());
        // The three projections side by side, so one product computes them all.
        let parts: Vec<Vec<f32>> = names
            .iter()
            .map(|n| npz.f32(&format!("proj{n}"), &[DIM, BRANCH]))
            .collect::<Result<_, _>>()?;
        for row in 0..DIM {
            for part in &parts {
                projection.extend_from_slice(&part[row * BRANCH..(row + 1) * BRANCH]);
            }
        }
        let mut branches = Vec::new();
        for (name, &(n, left)) in names.iter().zip(&ORDERS) {
            projection_bias.extend(npz.f32(&format!("proj_b{name}"), &[BRANCH])?);
            gain.extend(npz.f32(&format!("ln_g{name}"), &[BRANCH])?);
            bias.extend(npz.f32(&format!("ln_b{name}"), &[BRANCH])?);
            let mut convolution = |layer: usize| -> Result<Convolution, WeightsError> {
                Ok(Convolution {
                    weights: weights(npz, &format!("w{layer}_{name}"), n * BRANCH, BRANCH)?,
                    bias: npz.f32(&format!("b{layer}_{name}"), &[BRANCH])?,
                })
            };
            let convolutions = [convolution(1)?, convolution(2)?];
            branches.push(Branch {
                n,
                left,
                convolutions,
            });
        }
        let projection = pack("proj", &projection, DIM, ORDERS.len() * BRANCH)?;
        Ok(Encoder {
            table,
            scale: npz.f32("scale", &[CHUNKS])?,
            offset: npz.f32("lo", &[CHUNKS])?,
            projection,
            projection_bias,
            projection_norm: LayerNorm { gain, bias },
            branches,
            features_norm: LayerNorm {
                gain: npz.f32("ln_g", &[FEATURES])?,
                bias: npz.f32("ln_b", &[FEATURES])?,
            },
            pool: weights(npz, "cnn_W", FEATURES, DIM)?,
            pool_bias: npz.f32("cnn_b", &[DIM])?,
            d0: weights(npz, "d0", DIM, HIDDEN)?,
            d1: weights(npz, "d1", HIDDEN, HIDDEN)?,
            p1: weights(npz, "p1", DIM, HIDDEN)?,
            d2: weights(npz, "d2", HIDDEN, DIM)?,
            p3: weights(npz, "p3", HIDDEN, DIM)?,
            d3: weights(npz, "d3", DIM, DIM)?,
            eps: npz.f64_scalar("eps")? as f32,
        })
    }

    /// The number of rows of the embedding table: token ids must be below it.
    pub(crate) fn vocabulary(&self) -> usize {
        CHUNKS * CHUNK_ROWS
    }

    /// The embeddings of a batch of texts, each given as its token ids with `<s>` and `</s>`
    /// (never empty, every id below [`Encoder::vocabulary`]).
    pub(crate) fn encode(&self, texts: &[Vec<u32>]) -> Vec<[f32; DIM]> {
        let tokens: usize = texts.iter().map(Vec::len).sum();
        // Each token's text, as the range of the batch's tokens it spans.
        let mut spans = Vec::with_capacity(tokens);
        let mut start = 0;
        for text in texts {
            spans.extend(std::iter::repeat_n(start..start + text.len(), text.len()));
            start += text.len();
        }

        // 1. Embeddings, in the first DIM columns of the features.
        let mut features = vec![0.0f32; tokens * FEATURES];
        for (row, &id) in features
            .chunks_exact_mut(FEATURES)
            .zip(texts.iter().flatten())
        {
            let id = id as usize;
            let (scale, offset) = (self.scale[id % CHUNKS], self.offset[id % CHUNKS]);
            for (value, &byte) in row[..DIM]
                .iter_mut()
                .zip(&self.table[id * DIM..(id + 1) * DIM])
            {
                *value = f32::from(byte) * scale + offset;
            }
        }

        // 2. Projection to the branches' inputs.
        let embeddings: Vec<f32> = features
            .chunks_exact(FEATURES)
            .flat_map(|row| &row[..DIM])
            .copied()
            .collect();
        let width = ORDERS.len() * BRANCH;
        let mut projected = vec![0.0f32; tokens * width];
        matmul(&embeddings, &self.projection, &mut projected);
        for row in projected.chunks_exact_mut(width) {
            add(row, &self.projection_bias);
            self.projection_norm.apply(row, self.eps);
        }

        // 3. The CNN branches, each written into its columns of the features.
        let mut input = vec![0.0f32; tokens * BRANCH];
        let mut hidden = vec![0.0f32; tokens * BRANCH];
        let mut output = vec![0.0f32; tokens * BRANCH];
        for (b, branch) in self.branches.iter().enumerate() {
            for (dst, row) in input
                .chunks_exact_mut(BRANCH)
                .zip(projected.chunks_exact(width))
            {
                dst.copy_from_slice(&row[b * BRANCH..(b + 1) * BRANCH]);
            }
            let [first, second] = &branch.convolutions;
            branch.convolve(first, &spans, &input, &mut hidden);
            branch.convolve(second, &spans, &hidden, &mut output);
            for (row, out) in features
                .chunks_exact_mut(FEATURES)
                .zip(output.chunks_exact(BRANCH))
            {
                row[DIM + b * BRANCH..DIM + (b + 1) * BRANCH].copy_from_slice(out);
            }
        }

        self.sentences(texts, features)
    }

    /// Steps 4 and 5: from each token's features (the texts' tokens in order) to each text's
    /// embedding.
    fn sentences(&self, texts: &[Vec<u32>], mut features: Vec<f32>) -> Vec<[f32; DIM]> {
        // 4. Layer norm, sum over each text, project, scale by 1/√tokens.
        let s = texts.len();
        let mut sums = vec![0.0f32; s * FEATURES];
        let mut rows = features.chunks_exact_mut(FEATURES);
        for (text, sum) in texts.iter().zip(sums.chunks_exact_mut(FEATURES)) {
            for row in rows.by_ref().take(text.len()) {
                self.features_norm.apply(row, self.eps);
                add(sum, row);
            }
        }
        let mut pooled = vec![0.0f32; s * DIM];
        matmul(&sums, &self.pool, &mut pooled);
        for (text, row) in texts.iter().zip(pooled.chunks_exact_mut(DIM)) {
            let n = text.len() as f32;
            for (value, &bias) in row.iter_mut().zip(&self.pool_bias) {
                *value += n * bias;
            }
            let scale = 1.0 / n.sqrt();
            row.iter_mut().for_each(|v| *v *= scale);
        }

        // 5. The DNN.
        let mut y0 = vec![0.0f32; s * HIDDEN];
        matmul(&pooled, &self.d0, &mut y0);
        relu(&mut y0);
        let mut y1 = vec![0.0f32; s * HIDDEN];
        matmul(&pooled, &self.p1, &mut y1);
        let mut tmp = vec![0.0f32; s * HIDDEN];
        matmul(&y0, &self.d1, &mut tmp);
        add(&mut y1, &tmp);
        relu(&mut y1);
        let mut y2 = vec![0.0f32; s * DIM];
        matmul(&y1, &self.d2, &mut y2);
        relu(&mut y2);
        let mut z = vec![0.0f32; s * DIM];
        matmul(&y1, &self.p3, &mut z);
        let mut tmp = vec![0.0f32; s * DIM];
        matmul(&y2, &self.d3, &mut tmp);
        add(&mut z, &tmp);
        z.chunks_exact(DIM)
            .map(|row| {
                let mut out = [0.0f32; DIM];
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = v.tanh();
                }
                let norm2: f32 = out.iter().map(|v| v * v).sum();
                let scale = 1.0 / norm2.max(self.eps).sqrt();
                out.iter_mut().for_each(|v| *v *= scale);
                out
            })
            .collect()
    }
}

impl Branch {
    /// `out = relu(windows(input) · conv + bias) + input`: each token's window is the `n`
    /// rows from `left` before it, rows outside its text being zeros.
    fn convolve(
        &self,
        convolution: &Convolution,
        spans: &[Range<usize>],
        input: &[f32],
        out: &mut [f32],
    ) {
        let window = self.n * BRANCH;
        let mut windows = vec![0.0f32; spans.len() * window];
        for (t, (row, span)) in windows.chunks_exact_mut(window).zip(spans).enumerate() {
            for (slot, dst) in row.chunks_exact_mut(BRANCH).enumerate() {
                let src = (t + slot).wrapping_sub(self.left);
                if span.contains(&src) {
                    dst.copy_from_slice(&input[src * BRANCH..(src + 1) * BRANCH]);
                }
            }
        }
        matmul(&windows, &convolution.weights, out);
        for (row, residual) in out.chunks_exact_mut(BRANCH).zip(input.chunks_exact(BRANCH)) {
            for ((v, &b), &r) in row.iter_mut().zip(&convolution.bias).zip(residual) {
                *v = (*v + b).max(0.0) + r;
            }
        }
    }
}

impl LayerNorm {
    /// Normalises `row` to zero mean and unit variance, then scales and shifts it.
    fn apply(&self, row: &mut [f32], eps: f32) {
        let n = row.len() as f64;
        let mean = (row.iter().map(|&v| f64::from(v)).sum::<f64>() / n) as f32;
        row.iter_mut().for_each(|v| *v -= mean);
        let var = (row
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum::<f64>()
            / n) as f32;
        let scale = 1.0 / (var + eps).sqrt();
        for ((v, &g), &b) in row.iter_mut().zip(&self.gain).zip(&self.bias) {
            *v = *v * scale * g + b;
        }
    }
}

fn add(dst: &mut [f32], src: &[f32]) {
    dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
}

fn relu(values: &mut [f32]) {
    values.iter_mut().for_each(|v| *v = v.max(0.0));
}
