namespace BigGan.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of every layer: registered parameters, buffers and submodules under dotted names, train/eval,
        /// device moves, and a strict state_dict. The module owns what is registered and disposes it.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly OrderedDictionary<string, Parameter> _parameters = new();
            private readonly OrderedDictionary<string, (Tensor tensor, bool persistent)> _buffers = new();
            private readonly OrderedDictionary<string, Module> _modules = new();
            private bool _disposed;

            public bool training { get; private set; } = true;

            protected Parameter register_parameter(string name, Parameter parameter)
            {
                CheckName(name);
                _parameters.Add(name, parameter);
                return parameter;
            }

            /// <summary>Registers a state tensor (running statistics, spectral-norm vectors); the module takes ownership.</summary>
            protected Tensor register_buffer(string name, Tensor tensor, bool persistent = true)
            {
                CheckName(name);
                tensor.DetachFromDisposeScope();
                _buffers.Add(name, (tensor, persistent));
                return tensor;
            }

            protected T register_module<T>(string name, T module) where T : Module
            {
                CheckName(name);
                _modules.Add(name, module);
                return module;
            }

            private void CheckName(string name)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                    throw new ArgumentException($"invalid component name '{name}': it must be non-empty and contain no '.'", nameof(name));
                if (_parameters.ContainsKey(name) || _buffers.ContainsKey(name) || _modules.ContainsKey(name))
                    throw new ArgumentException($"'{name}' is already registered on {GetType().Name}", nameof(name));
            }

            public IEnumerable<(string name, Module module)> named_children() => _modules.Select(kv => (kv.Key, kv.Value));

            /// <summary>This module (name "") and every descendant, depth first.</summary>
            public IEnumerable<(string name, Module module)> named_modules(string prefix = "")
            {
                yield return (prefix, this);
                foreach (var (n, m) in _modules)
                    foreach (var sub in m.named_modules(Join(prefix, n)))
                        yield return sub;
            }

            public IEnumerable<Module> modules() => named_modules().Select(x => x.module);

            public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
            {
                foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
                    foreach (var (n, p) in m._parameters)
                        yield return (Join(prefix, n), p);
            }

            public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(x => x.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true, bool persistentOnly = false)
            {
                foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
                    foreach (var (n, b) in m._buffers)
                        if (!persistentOnly || b.persistent)
                            yield return (Join(prefix, n), b.tensor);
            }

            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(x => x.buffer);

            private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

            /// <summary>Total number of parameter elements.</summary>
            public long parameter_count() => parameters().Sum(p => p.numel());

            public virtual Module train(bool mode = true)
            {
                foreach (var m in modules()) m.training = mode;
                return this;
            }

            public Module eval() => train(false);

            /// <summary>Moves (or converts) every parameter and buffer in place; tensor identities stay the same.</summary>
            public Module to(Device device) => Apply(t => t.to(device));

            public Module to(ScalarType dtype) => Apply(t => t.dtype.IsFloatingPoint() ? t.to(dtype) : t.alias());

            /// <summary>Lays out every 4-d parameter and buffer (convolution weights) in the memory format, in place.</summary>
            public Module to(MemoryFormat format) => Apply(t => t.dim() == 4 ? t.contiguous(format) : t.alias());

            private Module Apply(Func<Tensor, Tensor> convert)
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                foreach (var t in parameters().Cast<Tensor>().Concat(buffers()))
                {
                    var moved = convert(t);
                    t.set_data(moved);
                }
                return this;
            }

            public void zero_grad()
            {
                foreach (var p in parameters()) p.grad = null;
            }

            /// <summary>Parameters and persistent buffers by dotted name, as detached aliases the caller owns.</summary>
            public OrderedDictionary<string, Tensor> state_dict()
            {
                var result = new OrderedDictionary<string, Tensor>();
                foreach (var (n, p) in named_parameters()) result.Add(n, p.detach());
                foreach (var (n, b) in named_buffers(persistentOnly: true)) result.Add(n, b.detach());
                return result;
            }

            /// <summary>
            /// Copies values into the parameters and persistent buffers. Mis-shaped entries always fail; with strict,
            /// missing and unexpected keys fail too. Nothing is copied unless every check passes.
            /// </summary>
            public (IReadOnlyList<string> missing, IReadOnlyList<string> unexpected) load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
            {
                var own = new OrderedDictionary<string, Tensor>();
                foreach (var (n, p) in named_parameters()) own.Add(n, p);
                foreach (var (n, b) in named_buffers(persistentOnly: true)) own.Add(n, b);

                var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
                var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
                var misshaped = new List<string>();
                foreach (var (k, t) in own)
                    if (state.TryGetValue(k, out var src) && !src.shape.SequenceEqual(t.shape))
                        misshaped.Add($"{k}: checkpoint [{string.Join(", ", src.shape)}], model [{string.Join(", ", t.shape)}]");

                var problems = new List<string>();
                if (misshaped.Count > 0) problems.Add("mis-shaped: " + string.Join("; ", misshaped));
                if (strict && missing.Count > 0) problems.Add("missing: " + string.Join(", ", missing));
                if (strict && unexpected.Count > 0) problems.Add("unexpected: " + string.Join(", ", unexpected));
                if (problems.Count > 0)
                    throw new ArgumentException($"state_dict does not fit {GetType().Name}: {string.Join(" | ", problems)}");

                using var _ = no_grad();
                foreach (var (k, t) in own)
                    if (state.TryGetValue(k, out var src)) t.copy_(src);
                return (missing, unexpected);
            }

            public void Dispose()
            {
                if (_disposed) return;
                _disposed = true;
                foreach (var m in _modules.Values) m.Dispose();
                foreach (var p in _parameters.Values) p.Dispose();
                foreach (var b in _buffers.Values) b.tensor.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>A module with one input.</summary>
        public abstract class Module<T, TResult> : Module
        {
            public abstract TResult forward(T input);
            public TResult call(T input) => forward(input);
        }

        /// <summary>A module with two inputs (e.g. features and conditioning).</summary>
        public abstract class Module<T1, T2, TResult> : Module
        {
            public abstract TResult forward(T1 input1, T2 input2);
            public TResult call(T1 input1, T2 input2) => forward(input1, input2);
        }
    }
}
