using System.Globalization;

namespace BigGan.Training.Sampling;

/// <summary>
/// A truncation value with its convention. A plain number converts implicitly to the paper's convention, so
/// <c>sampler.Sample([3], 8, 0.5, seed)</c> resamples every |z_i| &gt; 0.5. <see cref="Validate"/> (called by every
/// sampling method) rejects t ≤ 0, NaN, and +∞ with the TF-Hub convention.
/// </summary>
public readonly record struct Truncation(double Value, TruncationConvention Convention = TruncationConvention.Paper)
{
    /// <summary>No truncation: z ~ N(0, I).</summary>
    public static Truncation None => new(double.PositiveInfinity);

    /// <summary>The paper's convention: resample every component with |z_i| &gt; <paramref name="t"/>.</summary>
    public static Truncation Paper(double t) => new(t);

    /// <summary>The TF-Hub / Hugging Face convention: <paramref name="t"/> × a normal truncated at ±2.</summary>
    public static Truncation TFHub(double t) => new(t, TruncationConvention.TFHub);

    public static implicit operator Truncation(double t) => new(t);

    /// <summary>Largest magnitude a component can have: t (paper) or 2t (TF-Hub).</summary>
    public double Bound => Convention == TruncationConvention.TFHub ? 2 * Value : Value;

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> unless the value is usable.</summary>
    public Truncation Validate(string paramName = "truncation")
    {
        if (!Enum.IsDefined(Convention))
            throw new ArgumentException($"{paramName}: unknown truncation convention {(int)Convention}; expected Paper or TFHub", paramName);
        if (double.IsNaN(Value) || !(Value > 0))
            throw new ArgumentException($"{paramName} is {Value.ToString(CultureInfo.InvariantCulture)}; expected a number > 0 " +
                                        "(smaller values trade variety for fidelity; +infinity means no truncation)", paramName);
        if (Convention == TruncationConvention.TFHub && double.IsPositiveInfinity(Value))
            throw new ArgumentException($"{paramName}: the TF-Hub convention scales a ±2 truncated normal by t and needs a finite t (e.g. 0.4 or 1)", paramName);
        return this;
    }

    public override string ToString() => Convention == TruncationConvention.TFHub
        ? string.Create(CultureInfo.InvariantCulture, $"tfhub:{Value}")
        : double.IsPositiveInfinity(Value) ? "none" : string.Create(CultureInfo.InvariantCulture, $"{Value}");

    /// <summary>Parses "0.5" (paper), "none"/"inf" (no truncation) or "tfhub:0.4" / "hf:0.4" (TF-Hub convention).</summary>
    public static Truncation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim().ToLowerInvariant();
        if (s is "none" or "inf" or "infinity" or "off") return None;
        var convention = TruncationConvention.Paper;
        foreach (var prefix in new[] { "tfhub:", "hf:" })
            if (s.StartsWith(prefix, StringComparison.Ordinal)) { convention = TruncationConvention.TFHub; s = s[prefix.Length..]; }
        if (s.StartsWith("paper:", StringComparison.Ordinal)) s = s[6..];
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new ArgumentException($"truncation '{text}' is not a number; expected e.g. 0.5, none, or tfhub:0.4", nameof(text));
        // the message names the value as "truncation", not as this method's parameter
        return new Truncation(v, convention).Validate("truncation");
    }
}
