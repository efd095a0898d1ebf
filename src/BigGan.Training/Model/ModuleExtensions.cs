using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Model;

/// <summary>Helpers over any module: spectral-norm layers and their logged singular values, and freezing.</summary>
public static class ModuleExtensions
{
    /// <summary>
    /// The module itself (name "") and every descendant, depth first in registration order, as PyTorch's
    /// named_modules (TorchSharp's leaves out the root and lists each level's children before their descendants).
    /// </summary>
    public static IEnumerable<(string Name, nn.Module Module)> NamedModulesDepthFirst(this nn.Module module, string prefix = "")
    {
        yield return (prefix, module);
        foreach (var (name, child) in module.named_children())
            foreach (var item in child.NamedModulesDepthFirst(prefix.Length == 0 ? name : $"{prefix}.{name}"))
                yield return item;
    }

    /// <summary>Every spectrally normalised layer under the module with its dotted path, in registration order.</summary>
    public static IEnumerable<(string Name, SpectralNorm Layer)> SpectralNormLayers(this nn.Module module) =>
        module.NamedModulesDepthFirst().Where(m => m.Module is SpectralNorm).Select(m => (m.Name, (SpectralNorm)m.Module));

    /// <summary>
    /// The logged singular values of every SN layer, keyed by buffer path (e.g. "blocks.0.0.conv1.sv0"), as written by
    /// the last training-mode forward. One copy out of libtorch for all of them (for JSONL logs every K steps).
    /// </summary>
    public static IReadOnlyList<(string Name, double Value)> SingularValues(this nn.Module module, bool topOnly = true)
    {
        var names = new List<string>();
        var tensors = new List<Tensor>();
        foreach (var (name, layer) in module.SpectralNormLayers())
            for (int i = 0; i < (topOnly ? 1 : layer.Sv.Count); i++)
            {
                names.Add(name.Length == 0 ? $"sv{i}" : $"{name}.sv{i}");
                tensors.Add(layer.Sv[i]);
            }
        if (tensors.Count == 0) return [];
        using var scope = NewDisposeScope();
        var values = cat(tensors).to(ScalarType.Float64).ToArray<double>();
        return names.Select((n, i) => (n, values[i])).ToArray();
    }

    /// <summary>Sets requires_grad on every parameter (BigGAN's toggle_grads: freeze G in D steps and D in G steps).</summary>
    public static void SetRequiresGrad(this nn.Module module, bool requiresGrad)
    {
        foreach (var p in module.parameters()) p.requires_grad = requiresGrad;
    }

    /// <summary>Every batch-norm layer (conditional or plain) under the module, with its dotted path.</summary>
    public static IEnumerable<(string Name, IBatchNorm Layer)> BatchNormLayers(this nn.Module module) =>
        module.NamedModulesDepthFirst().Where(m => m.Module is IBatchNorm).Select(m => (m.Name, (IBatchNorm)m.Module));

    /// <summary>Resets the running statistics of every batch-norm layer (the first step of standing statistics).</summary>
    public static void ResetBatchNormStatistics(this nn.Module module)
    {
        foreach (var (_, bn) in module.BatchNormLayers()) bn.ResetRunningStats();
    }

    /// <summary>Sets the running-statistics momentum of every batch-norm layer (1/(i+1) on pass i gives a cumulative average).</summary>
    public static void SetBatchNormMomentum(this nn.Module module, double momentum)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1]");
        foreach (var (_, bn) in module.BatchNormLayers()) bn.Momentum = momentum;
    }

    /// <summary>A parameter made from a temporary, which is disposed.</summary>
    internal static Parameter NewParameter(Tensor data)
    {
        using (data) return new Parameter(data);
    }
}
