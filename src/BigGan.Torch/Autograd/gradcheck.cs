namespace BigGan.Torch;

public static partial class torch
{
    public static partial class autograd
    {
        /// <summary>
        /// Compares autograd's gradient of sum(f(inputs) * w), for a fixed random w, with central finite differences,
        /// element by element, as torch.autograd.gradcheck does. Inputs should be float64 leaves with requires_grad.
        /// Returns the largest absolute error; throws with the first offending element when it exceeds
        /// atol + rtol * |numeric|.
        /// </summary>
        public static double gradcheck(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, ulong seed = 0)
        {
            foreach (var x in inputs)
                if (x.dtype != ScalarType.Float64)
                    throw new ArgumentException($"gradcheck needs float64 inputs for accurate finite differences, got {x.dtype}");
            using var scope = NewDisposeScope();
            using var gen = new Generator(seed);
            Tensor weight;
            using (no_grad()) { using var probe = f(inputs); weight = randn_like(probe, gen); }

            var wrt = inputs.Where(x => x.requires_grad).ToArray();
            var analytic = grad([f(inputs).mul(weight).sum()], wrt);
            double worst = 0;
            using var _ = no_grad();
            for (int k = 0; k < wrt.Length; k++)
            {
                var x = wrt[k];
                var flat = x.view(-1);
                var an = analytic[k]?.reshape(-1).data<double>() ?? new double[flat.numel()];
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
    }
}
