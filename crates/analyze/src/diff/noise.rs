//! How large a change must be to exceed sampling noise, and how much of a share change the
//! rest of the profile explains (the shift). The method is documented in docs/diff.md.

/// Functions with fewer samples than this in either profile do not vote on the shift: their
/// share ratios are mostly noise.
pub const SHIFT_MIN_SAMPLES: f64 = 10.0;

/// The shift is estimated only from at least this many functions; with fewer, one changed
/// function would decide it.
pub const SHIFT_MIN_FUNCTIONS: usize = 3;

/// A sample's worth of weight added to each side of every comparison, so that a function
/// seen in one profile only still has a noise band (as Agresti and Caffo do for proportions).
const PSEUDO_SAMPLES: f64 = 1.0;

/// The two-sided critical value of the standard normal distribution for `tests` comparisons
/// at family-wise error `alpha` (Bonferroni): the chance that any of them crosses its noise
/// band by chance alone is at most `alpha`.
pub fn z_critical(alpha: f64, tests: usize) -> f64 {
    let per_test = alpha / tests.max(1) as f64;
    inverse_normal_cdf(1.0 - per_test / 2.0)
}

/// The quantile function of the standard normal distribution (Acklam's rational
/// approximation, relative error below 1.2e-9 over (0, 1)).
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239e0,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838e0,
        -2.549732539343734e0,
        4.374664141464968e0,
        2.938163982698783e0,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996e0,
        3.754408661907416e0,
    ];
    const LOW: f64 = 0.02425;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// One profile's totals, and the weight one sample stands for.
#[derive(Debug, Clone, Copy)]
pub struct SideScale {
    /// Total weight.
    pub total: f64,
    /// Weight per sample (the mean period); 1 for a profile counted in samples.
    pub per_sample: f64,
}

impl SideScale {
    /// The scale of a profile with `total` weight in `samples` samples.
    pub fn new(total: f64, samples: u64) -> Self {
        let per_sample = if samples > 0 && total > 0.0 {
            total / samples as f64
        } else {
            1.0
        };
        Self { total, per_sample }
    }

    /// How many samples `weight` stands for.
    pub fn samples(&self, weight: f64) -> f64 {
        weight / self.per_sample
    }

    /// The variance of a weight sum of `weight` under Poisson sampling, with the pseudo-sample.
    fn variance(&self, weight: f64) -> f64 {
        self.per_sample * self.per_sample * (self.samples(weight) + PSEUDO_SAMPLES)
    }
}

/// Compares one function's (or path's) weight before and after.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    pub before: SideScale,
    pub after: SideScale,
    /// What the before weight of unchanged code becomes after: the ratio of totals times the
    /// shift, or 1 in absolute mode.
    pub scale: f64,
    /// Standard error of `ln(scale)`: the shift estimate's own error.
    pub scale_log_error: f64,
    /// How much wider than Poisson sampling alone the spread between the profiles is (at
    /// least 1; it multiplies the sampling part of the band, not the shift's error): see
    /// [`estimate_dispersion`].
    pub dispersion: f64,
    /// Weights are shown as percentages of these (the own total, or the before total in
    /// absolute mode).
    pub before_base: f64,
    pub after_base: f64,
}

/// One comparison's figures, in percentage points of the after base.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    pub before_percent: f64,
    pub after_percent: f64,
    /// What the after share would be if this code had not changed.
    pub expected_after_percent: f64,
    /// Half the width of the noise band around the expected share.
    pub noise_percent: f64,
}

impl Judged {
    /// After minus expected: the change the shift does not explain.
    pub fn adjusted_delta(&self) -> f64 {
        self.after_percent - self.expected_after_percent
    }

    /// True when the adjusted change lies outside the noise band.
    pub fn significant(&self) -> bool {
        self.adjusted_delta().abs() > self.noise_percent
    }
}

impl Comparison {
    /// The same comparison with sampling noise alone: no shift error, no overdispersion.
    pub fn sampling_only(&self) -> Self {
        Self {
            scale_log_error: 0.0,
            // Exact counts (0) have no sampling noise either.
            dispersion: self.dispersion.min(1.0),
            ..*self
        }
    }

    /// Judge `before` against `after` weight with critical value `z`.
    pub fn judge(&self, before: f64, after: f64, z: f64) -> Judged {
        let expected = self.scale * before;
        let sampling =
            self.after.variance(after) + self.scale * self.scale * self.before.variance(before);
        let variance = self.dispersion * self.dispersion * sampling
            + (expected * self.scale_log_error).powi(2);
        Judged {
            before_percent: self.percent(0, before),
            after_percent: self.percent(1, after),
            expected_after_percent: self.percent(1, expected),
            noise_percent: z * self.percent(1, variance.sqrt()),
        }
    }

    /// `weight` of side `side` (0 before, 1 after) as a percentage of that side's base.
    pub fn percent(&self, side: usize, weight: f64) -> f64 {
        let base = if side == 0 {
            self.before_base
        } else {
            self.after_base
        };
        if base > 0.0 {
            100.0 * weight / base
        } else {
            0.0
        }
    }
}

/// The shift: by how much the share of unchanged code changed because other code changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShiftEstimate {
    /// After share / before share of unchanged code.
    pub factor: f64,
    /// Standard error of `ln(factor)`.
    pub log_error: f64,
    /// How many functions it is the median of.
    pub functions: usize,
}

/// Estimate the shift as the median, over functions with enough samples in both profiles, of
/// the ratio of their after share to their before share (`pairs` of before and after share).
///
/// It is robust as long as more than half of those functions did not change (whatever their
/// weight), which is the usual case for a change that made one or a few functions faster or
/// slower. Its own error (the median's, from the spread of the ratios: 1.2533 · 1.4826 · MAD
/// / √n) widens every noise band that uses it. `None` when too few functions qualify.
pub fn estimate_shift(pairs: impl IntoIterator<Item = (f64, f64)>) -> Option<ShiftEstimate> {
    let mut ratios: Vec<f64> = pairs
        .into_iter()
        .filter(|&(before, after)| before > 0.0 && after > 0.0)
        .map(|(before, after)| (after / before).ln())
        .collect();
    if ratios.len() < SHIFT_MIN_FUNCTIONS {
        return None;
    }
    let center = median(&mut ratios);
    let mut deviations: Vec<f64> = ratios.iter().map(|r| (r - center).abs()).collect();
    let mad = median(&mut deviations);
    let n = ratios.len() as f64;
    Some(ShiftEstimate {
        factor: center.exp(),
        log_error: 1.2533 * 1.4826 * mad / n.sqrt(),
        functions: ratios.len(),
    })
}

/// Overdispersion: how much more the functions differ between the profiles than sampling
/// explains, from `residuals` (each comparison's adjusted delta over its Poisson standard
/// deviation, for the functions the shift is estimated from).
///
/// Under sampling noise alone the residuals are standard normal, so 1.4826 × their median
/// absolute value is 1. Two runs of a multithreaded program differ by more (thread
/// interleaving, frequency, other load), and with a million samples that difference exceeds
/// Poisson noise everywhere; this factor widens every band by it (a quasi-Poisson model). The
/// median keeps the few functions that really changed from inflating it. At least 1; `None`
/// with too few functions.
pub fn estimate_dispersion(residuals: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut magnitudes: Vec<f64> = residuals.into_iter().map(f64::abs).collect();
    if magnitudes.len() < SHIFT_MIN_FUNCTIONS {
        return None;
    }
    Some((1.4826 * median(&mut magnitudes)).max(1.0))
}

/// The median of a non-empty slice (reordered).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles() {
        assert!((inverse_normal_cdf(0.975) - 1.959_963_985).abs() < 1e-8);
        assert!((inverse_normal_cdf(0.5)).abs() < 1e-12);
        assert!((inverse_normal_cdf(0.005) + 2.575_829_304).abs() < 1e-8);
        assert!((inverse_normal_cdf(1.0 - 1e-9) - 5.997_807_015).abs() < 1e-6);
    }

    #[test]
    fn bonferroni_widens_the_band() {
        assert!((z_critical(0.05, 1) - 1.959_964).abs() < 1e-5);
        assert!((z_critical(0.05, 100) - 3.480_756).abs() < 1e-5);
    }

    #[test]
    fn shift_is_the_median_share_ratio() {
        // One function halved; three did not change and rose by the same factor.
        let shift =
            estimate_shift([(40.0, 25.0), (25.0, 31.25), (20.0, 25.0), (15.0, 18.75)]).unwrap();
        assert!((shift.factor - 1.25).abs() < 1e-12);
        assert_eq!(shift.functions, 4);
        // Three of four agree exactly: the median absolute deviation is zero.
        assert_eq!(shift.log_error, 0.0);
        assert_eq!(estimate_shift([(1.0, 2.0), (3.0, 3.0)]), None);
    }

    #[test]
    fn dispersion_is_the_robust_spread_of_residuals() {
        // Standard normal residuals have a median magnitude of 0.6745: no widening.
        let d = estimate_dispersion([0.3, -0.6745, 0.6745, 1.5, -9.0]).unwrap();
        assert!((d - 1.0).abs() < 1e-4, "{d}");
        assert_eq!(estimate_dispersion([0.3, -0.5, 0.5, 1.5, -9.0]), Some(1.0));
        // Twice that spread, and one real change that does not count.
        let d = estimate_dispersion([1.349, -1.349, 0.5, 2.0, 40.0]).unwrap();
        assert!((d - 2.0).abs() < 1e-3, "{d}");
        assert_eq!(estimate_dispersion([5.0, 5.0]), None);
    }

    #[test]
    fn identical_weights_are_not_significant() {
        let side = SideScale::new(1000.0, 1000);
        let c = Comparison {
            before: side,
            after: side,
            scale: 1.0,
            scale_log_error: 0.0,
            dispersion: 1.0,
            before_base: 1000.0,
            after_base: 1000.0,
        };
        let j = c.judge(300.0, 300.0, 1.96);
        assert_eq!(j.adjusted_delta(), 0.0);
        assert!(!j.significant());
        // Poisson: 300 ± 1.96·sqrt(2·301) samples, in points of 1000.
        assert!((j.noise_percent - 0.196 * (602.0f64).sqrt()).abs() < 1e-9);
        assert!(c.judge(300.0, 400.0, 1.96).significant());
    }
}
