//! Whether two variants of an experiment differ by more than chance
//! (docs/experiments.md): a two-proportion z-test for rates, Welch's
//! t-test for means, both two-sided, and a refusal to judge samples too
//! small for either. Pure arithmetic; no statistics crate.

use serde::Serialize;

/// Each side needs at least this many: below it, "too small to tell".
pub const MIN_SAMPLE: u64 = 30;
/// And, for a rate, at least this many of each outcome (the normal
/// approximation's rule of thumb).
pub const MIN_OUTCOMES: u64 = 5;
/// The significance level.
pub const ALPHA: f64 = 0.05;

/// What a comparison concluded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Two-sided p-value; `None` when the samples are too small.
    pub p: Option<f64>,
    /// "too small to tell", "B higher", "B lower", "no clear difference".
    pub says: String,
}

impl Verdict {
    fn small() -> Verdict {
        Verdict {
            p: None,
            says: "too small to tell".into(),
        }
    }

    fn of(p: f64, diff: f64) -> Verdict {
        let says = if p >= ALPHA || diff == 0.0 {
            "no clear difference"
        } else if diff > 0.0 {
            "B higher"
        } else {
            "B lower"
        };
        Verdict {
            p: Some(p),
            says: says.into(),
        }
    }
}

/// Two rates, `a_hits` of `a_n` against `b_hits` of `b_n`: the pooled
/// two-proportion z-test.
pub fn proportions(a_hits: u64, a_n: u64, b_hits: u64, b_n: u64) -> Verdict {
    let enough = |hits: u64, n: u64| {
        n >= MIN_SAMPLE && hits >= MIN_OUTCOMES && n - hits.min(n) >= MIN_OUTCOMES
    };
    if !enough(a_hits, a_n) || !enough(b_hits, b_n) {
        return Verdict::small();
    }
    let (pa, pb) = (a_hits as f64 / a_n as f64, b_hits as f64 / b_n as f64);
    let pooled = (a_hits + b_hits) as f64 / (a_n + b_n) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / a_n as f64 + 1.0 / b_n as f64)).sqrt();
    if se == 0.0 {
        return Verdict::of(1.0, 0.0);
    }
    let z = (pb - pa) / se;
    Verdict::of(2.0 * normal_upper(z.abs()), pb - pa)
}

/// Two samples' means: Welch's t-test (unequal variances).
pub fn means(a: &[f64], b: &[f64]) -> Verdict {
    if (a.len() as u64) < MIN_SAMPLE || (b.len() as u64) < MIN_SAMPLE {
        return Verdict::small();
    }
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (sa, sb) = (va / a.len() as f64, vb / b.len() as f64);
    let se = (sa + sb).sqrt();
    if se == 0.0 {
        return Verdict::of(if ma == mb { 1.0 } else { 0.0 }, mb - ma);
    }
    let t = (mb - ma) / se;
    let df = (sa + sb).powi(2)
        / (sa.powi(2) / (a.len() as f64 - 1.0) + sb.powi(2) / (b.len() as f64 - 1.0));
    Verdict::of(student_two_sided(t, df), mb - ma)
}

/// Mean and sample variance.
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v)
}

/// P(Z > z) for a standard normal Z.
pub fn normal_upper(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit,
/// relative error under 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// P(|T| > |t|) for Student's t with `df` degrees of freedom:
/// I_{df/(df+t²)}(df/2, 1/2).
pub fn student_two_sided(t: f64, df: f64) -> f64 {
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The regularized incomplete beta function I_x(a, b), by its continued
/// fraction (modified Lentz).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        for num in [
            m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0)),
        ] {
            d = 1.0 + num * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + num / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-12 {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        sum += g / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() < tol, "{a} vs {b}");
    }

    #[test]
    fn tails_match_the_printed_tables() {
        close(2.0 * normal_upper(1.959_964), 0.05, 1e-6);
        close(normal_upper(0.0), 0.5, 1e-7);
        close(2.0 * normal_upper(2.575_829), 0.01, 1e-6);
        // Student's t: the 5 % two-sided critical values of 10 and 30
        // degrees of freedom, and t = 2 at 5.
        close(student_two_sided(2.228_139, 10.0), 0.05, 1e-5);
        close(student_two_sided(2.042_272, 30.0), 0.05, 1e-5);
        close(student_two_sided(2.0, 5.0), 0.101_939, 1e-5);
        close(student_two_sided(0.0, 12.0), 1.0, 1e-9);
    }

    #[test]
    fn rates_a_textbook_example() {
        // 60 of 200 against 90 of 200: z = 3.09, p = 0.002.
        let v = proportions(60, 200, 90, 200);
        close(v.p.unwrap(), 0.002_0, 2e-4);
        assert_eq!(v.says, "B higher");
        // The same rate on both sides.
        assert_eq!(proportions(50, 100, 50, 100).says, "no clear difference");
        // Too few, or too few of one outcome.
        assert_eq!(proportions(5, 20, 9, 20).says, "too small to tell");
        assert_eq!(proportions(2, 100, 3, 100).says, "too small to tell");
    }

    #[test]
    fn means_welch() {
        // A: 30 ratings of 4, 30 of 5 (mean 4.5); B: 40 of 3, 20 of 4.
        let a: Vec<f64> = [4.0; 30].into_iter().chain([5.0; 30]).collect();
        let b: Vec<f64> = [3.0; 40].into_iter().chain([4.0; 20]).collect();
        let v = means(&a, &b);
        assert_eq!(v.says, "B lower");
        assert!(v.p.unwrap() < 1e-10);
        // Welch by hand: means 4.5 and 3.333, variances 0.2542 and 0.2260,
        // se = 0.08946, t = -13.04, df = 117.3: p far below 0.05.
        let same: Vec<f64> = [4.0; 15].into_iter().chain([5.0; 15]).collect();
        let v = means(&same, &same);
        assert_eq!((v.p, v.says.as_str()), (Some(1.0), "no clear difference"));
        assert_eq!(means(&a[..10], &b).says, "too small to tell");
    }
}
