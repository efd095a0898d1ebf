namespace BigGan.Training.Synthesis;

/// <summary>
/// The deterministic request stream: row id → (row id, seed, class). The seed of row r is output r of the SplitMix64
/// stream seeded with the base seed (<see cref="RowSeed"/>); the class comes from the <see cref="ClassSchedule"/>.
/// Rows are a pure function of (base seed, schedule, row id), so they can be produced in any order, by any number of
/// cursors, and agree.
/// </summary>
public sealed class SyntheticRequestStream
{
    public SyntheticRequestStream(int numClasses, ulong baseSeed, ClassSchedule? classes = null)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A class-conditional stream needs at least one class.");
        Classes = classes ?? ClassSchedule.RoundRobin();
        Classes.Validate(numClasses);
        NumClasses = numClasses;
        BaseSeed = baseSeed;
    }

    public int NumClasses { get; }

    public ulong BaseSeed { get; }

    public ClassSchedule Classes { get; }

    /// <summary>The seed of row <paramref name="rowId"/>: <c>SplitMix64.At(baseSeed, rowId)</c>.</summary>
    public static ulong RowSeed(ulong baseSeed, long rowId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowId);
        return SplitMix64.At(baseSeed, (ulong)rowId);
    }

    /// <summary>The request of row <paramref name="rowId"/> (≥ 0).</summary>
    public SyntheticRequest this[long rowId]
    {
        get
        {
            ulong seed = RowSeed(BaseSeed, rowId);
            return new SyntheticRequest(rowId, seed, Classes.ClassOf(rowId, seed, NumClasses));
        }
    }

    /// <summary>Requests of rows <paramref name="firstRowId"/>, <paramref name="firstRowId"/> + 1, … into <paramref name="destination"/>.</summary>
    public void Fill(long firstRowId, Span<SyntheticRequest> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = this[firstRowId + i];
    }
}
