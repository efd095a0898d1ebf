namespace BigGan.Training.Synthesis;

/// <summary>
/// How a synthetic row's class is chosen from its row id and seed: <see cref="RoundRobin"/> over all (or some)
/// classes, one <see cref="Fixed"/> class, or a <see cref="Weighted"/> draw. Every choice is a pure function of
/// (row id, row seed), so any cursor, shuffled or not, sees the same class for the same row.
/// </summary>
public abstract class ClassSchedule
{
    private protected ClassSchedule() { }

    /// <summary>
    /// Row r gets <c>classes[r mod classes.Length]</c>; with no classes given, all classes 0..NumClasses-1 in turn.
    /// </summary>
    public static ClassSchedule RoundRobin(params int[] classes) => new RoundRobinSchedule(classes ?? []);

    /// <summary>Every row gets <paramref name="classIndex"/>.</summary>
    public static ClassSchedule Fixed(int classIndex) => new FixedSchedule(classIndex);

    /// <summary>
    /// Each row draws its class from <paramref name="weights"/> (one per class, non-negative, summing to 1) with
    /// u = <see cref="SplitMix64.ToUnitInterval"/>(<see cref="SplitMix64.At"/>(rowSeed, <see cref="WeightedStreamIndex"/>))
    /// and the first class whose cumulative weight exceeds u.
    /// </summary>
    public static ClassSchedule Weighted(params double[] weights) => new WeightedSchedule(weights ?? []);

    /// <summary>
    /// The SplitMix64 stream index a weighted draw uses, far from the indices a generator uses for latents, so the
    /// class choice and the latent of a row are not correlated.
    /// </summary>
    public const ulong WeightedStreamIndex = 0xC1A55C1A55UL;

    /// <summary>Checks the schedule against a generator's class count; throws <see cref="ArgumentException"/> naming the problem.</summary>
    public abstract void Validate(int numClasses);

    /// <summary>
    /// The class of row <paramref name="rowId"/> whose seed is <paramref name="rowSeed"/>, for a generator with
    /// <paramref name="numClasses"/> classes (the schedule must have passed <see cref="Validate"/> for that count).
    /// </summary>
    public abstract int ClassOf(long rowId, ulong rowSeed, int numClasses);

    private sealed class RoundRobinSchedule(int[] classes) : ClassSchedule
    {
        private readonly int[] _classes = (int[])classes.Clone();

        public override void Validate(int numClasses)
        {
            if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "The generator must have at least one class.");
            foreach (var c in _classes)
                if (c < 0 || c >= numClasses)
                    throw new ArgumentException($"Round-robin class {c} is out of range: the generator has {numClasses} classes (valid indices 0..{numClasses - 1}).", "classes");
        }

        public override int ClassOf(long rowId, ulong rowSeed, int numClasses)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(rowId);
            return _classes.Length > 0 ? _classes[rowId % _classes.Length] : (int)(rowId % numClasses);
        }

        public override string ToString() => _classes.Length == 0 ? "RoundRobin(all)" : $"RoundRobin({string.Join(", ", _classes)})";
    }

    private sealed class FixedSchedule(int classIndex) : ClassSchedule
    {
        public override void Validate(int numClasses)
        {
            if (classIndex < 0 || classIndex >= numClasses)
                throw new ArgumentOutOfRangeException("classIndex", classIndex, $"The fixed class must be in 0..{numClasses - 1}: the generator has {numClasses} classes.");
        }

        public override int ClassOf(long rowId, ulong rowSeed, int numClasses) => classIndex;

        public override string ToString() => $"Fixed({classIndex})";
    }

    private sealed class WeightedSchedule : ClassSchedule
    {
        /// <summary>How far the weights may sum from 1 (rounding of weights computed in float).</summary>
        private const double SumTolerance = 1e-6;

        private readonly double[] _weights;
        private readonly double[] _cumulative;
        private readonly int _lastPositive;

        public WeightedSchedule(double[] weights)
        {
            if (weights.Length == 0) throw new ArgumentException("Class weights are empty: give one weight per class.", nameof(weights));
            for (int i = 0; i < weights.Length; i++)
                if (!double.IsFinite(weights[i]) || weights[i] < 0)
                    throw new ArgumentException($"Class weight {i} is {weights[i]}: weights must be finite and non-negative.", nameof(weights));
            double sum = weights.Sum();
            if (Math.Abs(sum - 1.0) > SumTolerance)
                throw new ArgumentException($"Class weights sum to {sum:R}, expected 1 (within {SumTolerance}).", nameof(weights));
            _weights = (double[])weights.Clone();
            _cumulative = new double[weights.Length];
            double acc = 0;
            for (int i = 0; i < weights.Length; i++) { acc += weights[i]; _cumulative[i] = acc; if (weights[i] > 0) _lastPositive = i; }
        }

        public override void Validate(int numClasses)
        {
            if (_weights.Length != numClasses)
                throw new ArgumentException($"{_weights.Length} class weights given, expected one per class: the generator has {numClasses} classes.", "weights");
        }

        public override int ClassOf(long rowId, ulong rowSeed, int numClasses)
        {
            // u < sum <= 1 + tolerance; rows landing past the last cumulative value (rounding) take the last class
            // with positive weight, never a zero-weight class.
            double u = SplitMix64.ToUnitInterval(SplitMix64.At(rowSeed, WeightedStreamIndex)) * _cumulative[^1];
            for (int i = 0; i < _cumulative.Length; i++)
                if (u < _cumulative[i]) return i;
            return _lastPositive;
        }

        public override string ToString() => $"Weighted({string.Join(", ", _weights)})";
    }
}
