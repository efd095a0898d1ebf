using static BigGan.Torch.Tests.TestUtil;

namespace BigGan.Torch.Tests;

/// <summary>Views, reshapes, joins, splits and indexing: shapes, values and which results share storage.</summary>
[TestClass]
public sealed class ShapeTests
{
    [TestMethod]
    public void ReshapeViewFlatten()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float64, 2, 3, 4);
        var r = x.reshape(4, -1);
        Shape([4, 6], r);
        Equal(Enumerable.Range(0, 24).Select(i => (double)i).ToArray(), r);
        var v = x.view(6, 4);
        v.select(0, 0).fill_(-1);
        Assert.AreEqual(-1, x[0][0][3].ToDouble(), "a view shares storage");
        Shape([2, 3, 4], v.view_as(x));
        Shape([24], x.flatten());
        Shape([2, 12], x.flatten(1));
        Shape([6, 4], x.flatten(0, 1));
        Shape([2, 12], torch.flatten(x, 1, -1));
        var nc = x.transpose(0, 2);
        Assert.IsFalse(nc.is_contiguous());
        Assert.ThrowsExactly<TorchException>(() => nc.view(24));
        Shape([24], nc.reshape(24), "reshape copies when a view is impossible");
        Assert.IsTrue(nc.contiguous().is_contiguous());
    }

    [TestMethod]
    public void SqueezeUnsqueeze()
    {
        using var scope = NewDisposeScope();
        var x = zeros([1, 3, 1, 2]);
        Shape([3, 2], x.squeeze());
        Shape([3, 1, 2], x.squeeze(0));
        Shape([1, 3, 2], x.squeeze(-2));
        Shape([1, 3, 1, 2], x.squeeze(1), "a dimension that is not 1 stays");
        Shape([1, 1, 3, 1, 2], x.unsqueeze(0));
        Shape([1, 3, 1, 2, 1], x.unsqueeze(-1));
        Shape([1, 3, 1, 1, 2], x.unsqueeze(3));
    }

    [TestMethod]
    public void ExpandSharesMemoryAndRepeatCopies()
    {
        using var scope = NewDisposeScope();
        var col = D([1, 2], 2, 1);
        var e = col.expand(2, 3);
        Equal(new double[] { 1, 1, 1, 2, 2, 2 }, e);
        Shape([4, 2, 3], col.expand(4, -1, 3));
        Shape([2, 3], col.expand_as(zeros([2, 3])));
        col.fill_(5);
        Equal(new double[] { 5, 5, 5, 5, 5, 5 }, e, "expand is a view");
        var rep = D([1, 2]).repeat(2, 2);
        Close([1, 2, 1, 2, 1, 2, 1, 2], [2, 4], rep);
        Assert.ThrowsExactly<TorchException>(() => D([1, 2, 3]).expand(2, 4));
    }

    [TestMethod]
    public void PermuteTransposeFlip()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float64, 2, 3, 4);
        var p = x.permute(2, 0, 1);
        Shape([4, 2, 3], p);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    Assert.AreEqual(i * 12 + j * 4 + k, p[k][i][j].ToDouble());
        var t = x.transpose(0, 2);
        Shape([4, 3, 2], t);
        Assert.AreEqual(1 * 12 + 2 * 4 + 3, t[3][2][1].ToDouble());
        Shape([4, 3, 2], x.transpose(-1, 0));
        Close([0, 3, 1, 4, 2, 5], [3, 2], Seq(float64, 2, 3).t());
        Close([2, 1, 0, 5, 4, 3], [2, 3], Seq(float64, 2, 3).flip(1));
        Close([5, 4, 3, 2, 1, 0], [2, 3], Seq(float64, 2, 3).flip(0, 1));
    }

    [TestMethod]
    public void CatAndStack()
    {
        using var scope = NewDisposeScope();
        var a = D([1, 2, 3, 4], 2, 2);
        var b = D([5, 6], 2, 1);
        Close([1, 2, 5, 3, 4, 6], [2, 3], cat([a, b], 1));
        Close([1, 2, 3, 4, 1, 2, 3, 4], [4, 2], cat([a, a]));
        Close([1, 2, 3, 4, 1, 2, 3, 4], [2, 2, 2], stack([a, a]));
        Close([1, 10, 2, 20, 3, 30, 4, 40], [2, 2, 2], stack([a, a * 10], -1));
        Close([1, 2, 10, 20, 3, 4, 30, 40], [2, 2, 2], stack([a, a * 10], 1));
        Assert.ThrowsExactly<TorchException>(() => cat([a, b], 0));
        Assert.ThrowsExactly<ArgumentException>(() => cat([]));
    }

    [TestMethod]
    public void ChunkAndSplit()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float64, 5, 2);
        var two = x.chunk(2);
        Assert.HasCount(2, two);
        Shape([3, 2], two[0]);
        Shape([2, 2], two[1]);
        Equal(new double[] { 6, 7, 8, 9 }, two[1]);
        // torch.arange(10.).reshape(5, 2).chunk(4) has 3 pieces of 2, 2 and 1 rows
        var four = x.chunk(4);
        CollectionAssert.AreEqual(new long[] { 2, 2, 1 }, four.Select(c => c.size(0)).ToArray());
        var cols = x.chunk(2, 1);
        Equal(new double[] { 1, 3, 5, 7, 9 }, cols[1]);
        var bySize = x.split(2);
        CollectionAssert.AreEqual(new long[] { 2, 2, 1 }, bySize.Select(c => c.size(0)).ToArray());
        var bySizes = x.split([1, 4]);
        Equal(new double[] { 0, 1 }, bySizes[0]);
        Shape([4, 2], bySizes[1]);
        Assert.ThrowsExactly<TorchException>(() => x.split([1, 1]));
        bySizes[0].fill_(-7);
        Assert.AreEqual(-7, x[0][1].ToDouble(), "split pieces are views");
    }

    [TestMethod]
    public void SliceNarrowSelect()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float64, 3, 6);
        Close([1, 3, 7, 9, 13, 15], [3, 2], x.slice(1, 1, 5, 2));
        Close([4, 5, 10, 11, 16, 17], [3, 2], x.slice(1, -2, 6));
        Close([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], [2, 6], x.slice(0, 1, 100), what: "end is clamped");
        Close([8, 9, 10, 14, 15, 16], [2, 3], x.narrow(0, 1, 2).narrow(1, 2, 3));
        Close([6, 7, 8, 9, 10, 11], [6], x.select(0, 1));
        Close([5, 11, 17], [3], x.select(1, -1));
        Close([12, 13, 14, 15, 16, 17], [6], x[2]);
        x.narrow(1, 0, 1).fill_(-1);
        Close(new double[] { -1, -1, -1 }, x.select(1, 0), 0, "narrow is a view");
        Assert.ThrowsExactly<ArgumentException>(() => x.slice(1, 0, 2, 0));
        Close([0, 4, 8], [3], Seq(float64, 3, 3).diagonal());
        Close([1, 5], [2], Seq(float64, 3, 3).diagonal(1));
    }

    [TestMethod]
    public void IndexSelectGatherOneHot()
    {
        using var scope = NewDisposeScope();
        var x = Seq(float64, 3, 4);
        Close([8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11], [3, 4], x.index_select(0, L([2, 0, 2])));
        Close([3, 1, 7, 5, 11, 9], [3, 2], x.index_select(1, L([3, 1])));
        // out[i][j] = x[i][idx[i][j]] along dim 1; along dim 0: out[i][j] = x[idx[i][j]][j]
        Close([3, 0, 5, 5, 10, 8], [3, 2], x.gather(1, L([3, 0, 1, 1, 2, 0], 3, 2)));
        Close([8, 1, 6, 3, 0, 9, 2, 7], [2, 4], x.gather(0, L([2, 0, 1, 0, 0, 2, 0, 1], 2, 4)));
        var oh = nn.functional.one_hot(L([0, 2, 1]), 4);
        Assert.AreEqual(int64, oh.dtype);
        Close([1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0], [3, 4], oh);
        Shape([2, 2, 3], nn.functional.one_hot(L([0, 2, 1, 1], 2, 2)), "num_classes -1 infers max + 1");
    }
}
