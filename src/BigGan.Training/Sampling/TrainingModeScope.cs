using TorchSharp;
using BigGan.Training.Model;

namespace BigGan.Training.Sampling;

/// <summary>Sets every module of a network to a mode (spectral-norm layers optionally kept in eval mode, so their u
/// vectors are not advanced) and puts each module's own flag back on dispose.</summary>
internal sealed class TrainingModeScope : IDisposable
{
    private readonly List<(torch.nn.Module module, bool training)> _saved;

    private TrainingModeScope(torch.nn.Module root, bool training, bool freezeSpectralNorm)
    {
        _saved = root.NamedModulesDepthFirst().Select(m => (m.Module, m.Module.training)).ToList();
        root.train(training);
        if (training && freezeSpectralNorm)
            foreach (var (_, layer) in root.SpectralNormLayers()) layer.train(false);
    }

    /// <summary>Eval mode everywhere (running statistics, stored u).</summary>
    public static TrainingModeScope Eval(torch.nn.Module root) => new(root, false, false);

    /// <summary>Train mode for batch norm (batch statistics, running statistics updated) with spectral norm frozen.</summary>
    public static TrainingModeScope BatchStatistics(torch.nn.Module root) => new(root, true, true);

    // Pre-order: a parent's recursive train() is undone by its children's entries that follow it.
    public void Dispose()
    {
        foreach (var (module, training) in _saved) module.train(training);
    }
}
