namespace BigGan.Training.Tests.Support;

/// <summary>Test helpers TorchSharp does not have: finite-difference gradient checks and parameter counts.</summary>
internal static class GradCheck
{
    /// <summary>
    /// Compares autograd's gradient of sum(f(inputs) · w) (w a fixed random weight) with central differences, element by
    /// element, as torch.autograd.gradcheck does. Inputs must be float64; those with requires_grad are checked. Returns
    /// the largest absolute error; throws at the first element over atol + rtol · |numeric|.
    /// </summary>
    public static double Run(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, ulong seed = 0)
    {
        foreach (var x in inputs)
            if (x.dtype != ScalarType.Float64)
                throw new ArgumentException($"gradcheck needs float64 inputs for accurate finite differences, got {x.dtype}");
        using var scope = NewDisposeScope();
        using var gen = new torch.Generator(seed);
        Tensor weight;
        using (no_grad()) weight = randn(f(inputs).shape, dtype: ScalarType.Float64, generator: gen);

        var wrt = inputs.Where(x => x.requires_grad).ToArray();
        var analytic = torch.autograd.grad([f(inputs).mul(weight).sum()], wrt, allow_unused: true);
        double worst = 0;
        using var _ = no_grad();
        for (int k = 0; k < wrt.Length; k++)
        {
            var flat = wrt[k].view(-1);
            var an = analytic[k] is { } a && !a.IsInvalid ? a.reshape(-1).ToArray<double>() : new double[flat.numel()];
            for (long i = 0; i < flat.numel(); i++)
            {
                using var inner = NewDisposeScope();
                var cell = flat.narrow(0, i, 1);
                var orig = cell.ToDouble();
                cell.fill_(orig + eps);
                var plus = f(inputs).mul(weight).sum().ToDouble();
                cell.fill_(orig - eps);
                var minus = f(inputs).mul(weight).sum().ToDouble();
                cell.fill_(orig);
                var numeric = (plus - minus) / (2 * eps);
                var err = Math.Abs(numeric - an[i]);
                worst = Math.Max(worst, err);
                if (err > atol + rtol * Math.Abs(numeric))
                    throw new InvalidOperationException($"gradcheck failed for input {k}, element {i}: analytic {an[i]:G9}, numeric {numeric:G9}");
            }
        }
        return worst;
    }

    public static long ParameterCount(this nn.Module module) => module.parameters().Sum(p => p.numel());
}
