namespace BigGan.Training.Sampling;

/// <summary>
/// The sampler's own random source: xoshiro256** (Blackman and Vigna 2018) seeded through SplitMix64. Managed and
/// platform-independent, so a latent depends only on its seed (not on libtorch's generator, the thread count or the
/// batch it is drawn in), and seeding one per row costs nothing.
/// </summary>
internal struct SampleRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    public SampleRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
        _spare = 0;
        _hasSpare = false;
    }

    /// <summary>The SplitMix64 finaliser, a bijection on 64-bit integers.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Seed of row <paramref name="row"/> of a stream seeded with <paramref name="seed"/> (SplitMix64's output number row).</summary>
    public static ulong RowSeed(ulong seed, long row) => Mix(unchecked(seed + ((ulong)row + 1) * 0x9E3779B97F4A7C15UL));

    private static ulong SplitMix(ref ulong x)
    {
        x = unchecked(x + 0x9E3779B97F4A7C15UL);
        return Mix(x);
    }

    public ulong NextUInt64()
    {
        var result = BitRotate(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitRotate(_s3, 45);
        return result;
    }

    private static ulong BitRotate(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "needs a positive bound");
        var bound = (ulong)n;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            var product = Math.BigMul(r, bound, out var low);
            if (low >= threshold) return (int)product;
        }
    }

    /// <summary>A standard normal value (Marsaglia's polar method: only sqrt and log, no trigonometry).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        var f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    /// <summary>
    /// A standard normal value conditioned on |x| ≤ t. For t ≥ 1 normal draws are resampled while |x| &gt; t (the
    /// paper's wording; at least 68% are accepted); below 1 a uniform proposal on [−t, t] is accepted with probability
    /// exp(−x²/2), which samples the same distribution without the 1/t cost of resampling for small t.
    /// </summary>
    public double NextTruncatedGaussian(double t)
    {
        if (double.IsPositiveInfinity(t)) return NextGaussian();
        if (t >= 1)
        {
            while (true)
            {
                var x = NextGaussian();
                if (Math.Abs(x) <= t) return x;
            }
        }
        while (true)
        {
            var x = (2 * NextDouble() - 1) * t;
            if (NextDouble() < Math.Exp(-0.5 * x * x)) return x;
        }
    }
}
