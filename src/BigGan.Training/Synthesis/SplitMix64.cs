namespace BigGan.Training.Synthesis;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014), the hash behind every seed the synthesis layer derives. Its stream has
/// random access: output k of the stream seeded with s is <c>Mix(s + (k + 1) · 0x9E3779B97F4A7C15)</c>, so row seeds
/// can be computed for any row id without generating the rows before it.
/// </summary>
public static class SplitMix64
{
    /// <summary>The golden-ratio increment of the SplitMix64 state.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>The SplitMix64 finaliser (a bijection on 64-bit integers).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Output number <paramref name="index"/> (0-based) of the SplitMix64 stream seeded with <paramref name="seed"/>.</summary>
    public static ulong At(ulong seed, ulong index) => Mix(unchecked(seed + (index + 1) * Gamma));

    /// <summary>The top 53 bits of <paramref name="bits"/> as a double in [0, 1).</summary>
    public static double ToUnitInterval(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));
}
