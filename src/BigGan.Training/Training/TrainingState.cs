using TorchSharp;
using BigGan.Training.Data;

namespace BigGan.Training.Training;

/// <summary>
/// The live objects of a training run that a <see cref="Checkpoint"/> saves from and loads into: the three networks,
/// both optimizers, the random-number generators, the data position, the step and the full configuration. Loading
/// writes into these objects (the networks must already be built from the same configuration).
/// </summary>
public sealed class TrainingState
{
    public required torch.nn.Module G { get; init; }

    public required torch.nn.Module D { get; init; }

    /// <summary>The EMA copy of G; null when the run keeps none.</summary>
    public torch.nn.Module? GEma { get; init; }

    public required Adam GOptimizer { get; init; }

    public required Adam DOptimizer { get; init; }

    /// <summary>The batch source whose position (<see cref="IBatchSource.SaveState"/>) is saved and restored; null to skip.</summary>
    public IBatchSource? Data { get; init; }

    /// <summary>Whether libtorch's default generator (<c>torch.get_rng_state</c>) is saved and restored.</summary>
    public bool IncludeDefaultRng { get; init; } = true;

    /// <summary>Further generators (e.g. the one drawing z and y) saved under their names; names are letters, digits, '_' and '-'.</summary>
    public IReadOnlyDictionary<string, Generator> Rngs { get; init; } = new Dictionary<string, Generator>();

    /// <summary>Number of completed G updates.</summary>
    public long Step { get; set; }

    /// <summary>The full run configuration as JSON (saved verbatim; compared with the saved one on load).</summary>
    public string ConfigJson { get; set; } = "{}";

    /// <summary>Free-form string metadata saved with the checkpoint (keys must not start with "biggan.").</summary>
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
