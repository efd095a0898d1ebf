using System.Globalization;

namespace BigGan.Training.Training;

/// <summary>
/// A loss became NaN or infinite: the run stops at once, before the optimizer step and before any checkpoint is written,
/// so the last good checkpoint stays untouched and a resume (perhaps with a lower learning rate) starts from it.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    public string LossName { get; }

    public double Value { get; }

    public long Step { get; }

    /// <summary>Folder of the last good checkpoint, or null when none was written yet.</summary>
    public string? LastCheckpoint { get; }

    public TrainingDivergedException(string lossName, double value, long step, string? lastCheckpoint)
        : base(Describe(lossName, value, step, lastCheckpoint))
    {
        (LossName, Value, Step, LastCheckpoint) = (lossName, value, step, lastCheckpoint);
    }

    private static string Describe(string lossName, double value, long step, string? lastCheckpoint) =>
        $"training diverged at step {step}: {lossName} is {value.ToString(CultureInfo.InvariantCulture)}. The run stopped before updating the weights; "
        + (lastCheckpoint is null
            ? "no checkpoint had been written yet."
            : $"the last good checkpoint ({lastCheckpoint}) is untouched: resume from it, e.g. with a lower learning rate.");

    /// <summary>Throws when <paramref name="value"/> is NaN or ±Infinity.</summary>
    public static void ThrowIfNotFinite(string lossName, double value, long step, string? lastCheckpoint = null)
    {
        if (!double.IsFinite(value)) throw new TrainingDivergedException(lossName, value, step, lastCheckpoint);
    }

    /// <summary>Checks every named loss; the first non-finite one (in enumeration order) is reported.</summary>
    public static void ThrowIfNotFinite(IEnumerable<KeyValuePair<string, double>> losses, long step, string? lastCheckpoint = null)
    {
        ArgumentNullException.ThrowIfNull(losses);
        foreach (var (name, value) in losses) ThrowIfNotFinite(name, value, step, lastCheckpoint);
    }
}
