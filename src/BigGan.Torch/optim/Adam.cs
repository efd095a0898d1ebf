namespace BigGan.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Adam (Kingma and Ba 2015) with L2 weight decay, following torch.optim.Adam's single-tensor update step for step.
        /// Its state (moments and step counts) round-trips through state_dict/load_state_dict for exact resumes.
        /// </summary>
        public sealed class Adam : IDisposable
        {
            private readonly nn.Parameter[] _params;
            private readonly Tensor?[] _expAvg;
            private readonly Tensor?[] _expAvgSq;
            private readonly long[] _step;

            public double lr { get; set; }
            public double beta1 { get; }
            public double beta2 { get; }
            public double eps { get; }
            public double weight_decay { get; }

            public Adam(IEnumerable<nn.Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0)
            {
                _params = parameters.ToArray();
                if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be >= 0");
                if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1)");
                if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1)");
                if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be >= 0");
                if (!(weight_decay >= 0)) throw new ArgumentOutOfRangeException(nameof(weight_decay), weight_decay, "weight_decay must be >= 0");
                (this.lr, this.beta1, this.beta2, this.eps, this.weight_decay) = (lr, beta1, beta2, eps, weight_decay);
                _expAvg = new Tensor?[_params.Length];
                _expAvgSq = new Tensor?[_params.Length];
                _step = new long[_params.Length];
            }

            public IReadOnlyList<nn.Parameter> parameters => _params;

            public void zero_grad()
            {
                foreach (var p in _params) p.grad = null;
            }

            /// <summary>Updates every parameter that has a gradient.</summary>
            public void step()
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                for (int i = 0; i < _params.Length; i++)
                {
                    var p = _params[i];
                    var grad = p.grad;
                    if (grad is null) continue;
                    if (weight_decay != 0) grad = grad.add(p, weight_decay);
                    var m = _expAvg[i] ??= zeros_like(p).DetachFromDisposeScope();
                    var v = _expAvgSq[i] ??= zeros_like(p).DetachFromDisposeScope();
                    var t = ++_step[i];
                    m.mul_(beta1).add_(grad, 1 - beta1); // as torch 1.13 (not lerp_), so results match it bit for bit
                    v.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
                    var bc1 = 1 - Math.Pow(beta1, t);
                    var bc2 = 1 - Math.Pow(beta2, t);
                    var denom = v.sqrt().div_(Math.Sqrt(bc2)).add_(eps);
                    p.addcdiv_(m, denom, -lr / bc1);
                }
            }

            /// <summary>Moments and step counts by parameter index ("state.{i}.exp_avg", ...), as copies the caller owns.</summary>
            public OrderedDictionary<string, Tensor> state_dict()
            {
                var d = new OrderedDictionary<string, Tensor>();
                for (int i = 0; i < _params.Length; i++)
                {
                    if (_expAvg[i] is null) continue;
                    d.Add($"state.{i}.step", tensor(_step[i]));
                    d.Add($"state.{i}.exp_avg", _expAvg[i]!.clone());
                    d.Add($"state.{i}.exp_avg_sq", _expAvgSq[i]!.clone());
                }
                return d;
            }

            public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
            {
                foreach (var key in state.Keys)
                {
                    var parts = key.Split('.');
                    if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], out var i) || i < 0 || i >= _params.Length
                        || parts[2] is not ("step" or "exp_avg" or "exp_avg_sq"))
                        throw new ArgumentException($"unexpected Adam state key '{key}' for an optimizer over {_params.Length} parameters");
                    if (parts[2] != "step" && !state[key].shape.SequenceEqual(_params[i].shape))
                        throw new ArgumentException($"Adam state '{key}' has shape [{string.Join(", ", state[key].shape)}] but parameter {i} has [{string.Join(", ", _params[i].shape)}]");
                }
                for (int i = 0; i < _params.Length; i++)
                {
                    bool has = state.TryGetValue($"state.{i}.step", out var s);
                    _expAvg[i]?.Dispose();
                    _expAvgSq[i]?.Dispose();
                    _expAvg[i] = _expAvgSq[i] = null;
                    _step[i] = 0;
                    if (!has) continue;
                    if (!state.ContainsKey($"state.{i}.exp_avg") || !state.ContainsKey($"state.{i}.exp_avg_sq"))
                        throw new ArgumentException($"Adam state for parameter {i} is incomplete");
                    _step[i] = s!.item<long>();
                    using var dev = NewDisposeScope();
                    _expAvg[i] = state[$"state.{i}.exp_avg"].to(_params[i].dtype).to(_params[i].device).clone().DetachFromDisposeScope();
                    _expAvgSq[i] = state[$"state.{i}.exp_avg_sq"].to(_params[i].dtype).to(_params[i].device).clone().DetachFromDisposeScope();
                }
            }

            public void Dispose()
            {
                foreach (var t in _expAvg) t?.Dispose();
                foreach (var t in _expAvgSq) t?.Dispose();
            }
        }
    }
}
