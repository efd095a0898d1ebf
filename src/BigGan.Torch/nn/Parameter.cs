namespace BigGan.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A leaf tensor that a module trains. It takes over the handle of the tensor it wraps, belongs to no
        /// dispose scope (the module disposes it), and requires grad unless told otherwise.</summary>
        public sealed class Parameter : Tensor
        {
            public Parameter(Tensor data, bool requires_grad = true) : base(Take(data))
            {
                DetachFromDisposeScope();
                this.requires_grad = requires_grad;
            }

            // A parameter is a detached leaf that owns a fresh handle; the source tensor stays the caller's.
            private static Native.TensorHandle Take(Tensor data)
            {
                using var leaf = data.detach();
                return leaf.StealHandle();
            }
        }
    }
}
