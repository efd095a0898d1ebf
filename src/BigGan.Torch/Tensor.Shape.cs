using BigGan.Torch.Native;
using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

// Shape, view and indexing ops.
public partial class Tensor
{
    public unsafe Tensor reshape(params long[] shape)
    {
        TensorHandle h;
        fixed (long* p = shape) Check(N.bgn_reshape(Handle, p, shape.Length, 0, out h));
        return new Tensor(h);
    }

    public unsafe Tensor view(params long[] shape)
    {
        TensorHandle h;
        fixed (long* p = shape) Check(N.bgn_reshape(Handle, p, shape.Length, 1, out h));
        return new Tensor(h);
    }

    public Tensor view_as(Tensor other) => view(other.shape);

    public Tensor flatten(long start_dim = 0, long end_dim = -1)
    {
        Check(N.bgn_flatten(Handle, start_dim, end_dim, out var h));
        return new Tensor(h);
    }

    public Tensor squeeze(long? dim = null)
    {
        Check(N.bgn_squeeze(Handle, dim.HasValue ? 1 : 0, dim ?? 0, out var h));
        return new Tensor(h);
    }

    public Tensor unsqueeze(long dim)
    {
        Check(N.bgn_unsqueeze(Handle, dim, out var h));
        return new Tensor(h);
    }

    public unsafe Tensor expand(params long[] shape)
    {
        TensorHandle h;
        fixed (long* p = shape) Check(N.bgn_expand(Handle, p, shape.Length, out h));
        return new Tensor(h);
    }

    public Tensor expand_as(Tensor other) => expand(other.shape);

    public unsafe Tensor repeat(params long[] repeats)
    {
        TensorHandle h;
        fixed (long* p = repeats) Check(N.bgn_repeat(Handle, p, repeats.Length, out h));
        return new Tensor(h);
    }

    public unsafe Tensor permute(params long[] dims)
    {
        TensorHandle h;
        fixed (long* p = dims) Check(N.bgn_permute(Handle, p, dims.Length, out h));
        return new Tensor(h);
    }

    public unsafe Tensor flip(params long[] dims)
    {
        TensorHandle h;
        fixed (long* p = dims) Check(N.bgn_flip(Handle, p, dims.Length, out h));
        return new Tensor(h);
    }

    public Tensor transpose(long dim0, long dim1)
    {
        Check(N.bgn_transpose(Handle, dim0, dim1, out var h));
        return new Tensor(h);
    }

    /// <summary>Transpose of a 2-d tensor.</summary>
    public Tensor t() => transpose(0, 1);

    public Tensor[] chunk(long chunks, long dim = 0) => Split(chunks, [], dim, (int)chunks);

    public Tensor[] split(long[] sizes, long dim = 0) => Split(0, sizes, dim, sizes.Length);

    /// <summary>Pieces of the given size along dim (the last may be smaller).</summary>
    public Tensor[] split(long size, long dim = 0)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), "split size must be positive");
        var n = this.size((int)dim);
        var sizes = new List<long>();
        for (long at = 0; at < n; at += size) sizes.Add(Math.Min(size, n - at));
        return split(sizes.ToArray(), dim);
    }

    private unsafe Tensor[] Split(long chunks, long[] sizes, long dim, int capacity)
    {
        if (capacity < 1) throw new ArgumentException("split needs at least one chunk or size");
        var raw = new IntPtr[capacity];
        int count;
        fixed (long* s = sizes)
        fixed (IntPtr* o = raw)
            Check(N.bgn_split(Handle, chunks, s, sizes.Length, dim, o, capacity, out count));
        var result = new Tensor[count];
        for (int i = 0; i < count; i++) result[i] = new Tensor(new TensorHandle(raw[i]));
        return result;
    }

    /// <summary>Elements start..end (exclusive) with a step along dim; negative bounds count from the end.</summary>
    public Tensor slice(long dim, long start, long end, long step = 1)
    {
        Check(N.bgn_slice(Handle, dim, start, end, step, out var h));
        return new Tensor(h);
    }

    public Tensor narrow(long dim, long start, long length)
    {
        Check(N.bgn_narrow(Handle, dim, start, length, out var h));
        return new Tensor(h);
    }

    /// <summary>The sub-tensor at index along dim (that dimension removed).</summary>
    public Tensor select(long dim, long index)
    {
        Check(N.bgn_select(Handle, dim, index, out var h));
        return new Tensor(h);
    }

    /// <summary>x[i]: the sub-tensor at index i of the first dimension.</summary>
    public Tensor this[long index] => select(0, index);

    public Tensor index_select(long dim, Tensor index)
    {
        Check(N.bgn_index_select(Handle, dim, index.Handle, out var h));
        return new Tensor(h);
    }

    public Tensor gather(long dim, Tensor index)
    {
        Check(N.bgn_gather(Handle, dim, index.Handle, out var h));
        return new Tensor(h);
    }

    public Tensor masked_fill(Tensor mask, double value)
    {
        Check(N.bgn_masked_fill(Handle, mask.Handle, value, out var h));
        return new Tensor(h);
    }

    public Tensor diagonal(long offset = 0)
    {
        Check(N.bgn_diagonal(Handle, offset, out var h));
        return new Tensor(h);
    }
}
