//! A small deterministic random source (SplitMix64): the generator's output is a pure function
//! of its seed, with no dependency to pin.

/// SplitMix64: fast, well mixed, and good enough for simulated traffic.
pub struct Rng(u64);

impl Rng {
    /// A source for `seed`; different streams of one run use different salts.
    pub fn new(seed: u64, salt: u64) -> Self {
        Rng(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.u64() % (hi - lo + 1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.u64() % items.len() as u64) as usize]
    }

    /// A log-normal-ish duration around `median_ns` (spread ×/÷ e^0.6), 1 % slow outliers ×8.
    pub fn duration(&mut self, median_ns: i64) -> i64 {
        // Sum of uniforms approximates a normal; cheap and deterministic.
        let n = (self.f64() + self.f64() + self.f64() - 1.5) * 2.0;
        let slow = if self.chance(0.01) { 8.0 } else { 1.0 };
        ((median_ns as f64) * (0.6 * n).exp() * slow).max(20_000.0) as i64
    }

    /// A non-zero 64-bit id.
    pub fn id64(&mut self) -> u64 {
        self.u64() | 1 << 60
    }

    /// A 128-bit id.
    pub fn id128(&mut self) -> u128 {
        (u128::from(self.u64()) << 64 | u128::from(self.u64())) | 1 << 124
    }
}
