namespace MLNet.CSP.Models.Layers;

/// <summary>
/// A convolution with its following eval-mode BatchNorm folded in: <c>W' = W * g / sqrt(v + eps)</c>,
/// <c>b' = beta - mean * g / sqrt(v + eps)</c>; the weight is stored channels-last for oneDNN's fast kernels.
/// Inference only; built from (and never written back to) the trained parameters.
/// </summary>
internal sealed class FoldedConv : IDisposable
{
    private readonly Tensor weight;
    private readonly Tensor bias;
    private readonly long[] stride;
    private readonly long[] padding;
    private readonly long[] dilation;
    private readonly long groups;

    private FoldedConv(Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation, long groups)
    {
        this.weight = weight;
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
    }

    public FoldedConv(Conv2dLayer conv, BatchNorm2d bn)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var (scale, shift) = BatchNormAffine.Of(bn, conv.Weight.dtype);
        var folded = conv.Weight.mul(scale.reshape(-1, 1, 1, 1));
        weight = MemoryLayout.ToChannelsLast(folded).MoveToOuterDisposeScope();
        bias = shift.contiguous().MoveToOuterDisposeScope();
        stride = conv.Stride;
        padding = conv.Padding;
        dilation = conv.Dilation;
        groups = conv.Groups;
    }

    /// <summary>Disposes what <paramref name="slot"/> holds and, given a convolution and its BatchNorm, folds them into it.</summary>
    public static void Replace(ref FoldedConv? slot, Conv2dLayer? conv, BatchNorm2d? bn)
    {
        slot?.Dispose();
        slot = conv is null || bn is null ? null : new FoldedConv(conv, bn);
    }

    /// <summary>The convolution restricted to output channels [start, start + count) (an ungrouped conv).</summary>
    public FoldedConv SliceOutputs(long start, long count)
    {
        if (groups != 1) throw new InvalidOperationException("Only ungrouped convolutions can be sliced.");
        using var w = weight.narrow(0, start, count);
        using var b = bias.narrow(0, start, count);
        return new FoldedConv(MemoryLayout.ToChannelsLast(w), b.contiguous(), stride, padding, dilation, groups);
    }

    /// <summary>
    /// A 1x1 convolution over input channels [start, start + count) only; with <paramref name="withBias"/> false it
    /// adds no bias, so the partial results of several slices sum to the full convolution.
    /// </summary>
    public FoldedConv SliceInputs(long start, long count, bool withBias)
    {
        if (groups != 1) throw new InvalidOperationException("Only ungrouped convolutions can be sliced.");
        using var w = weight.narrow(1, start, count);
        return new FoldedConv(MemoryLayout.ToChannelsLast(w), withBias ? bias.clone() : torch.zeros_like(bias), stride, padding, dilation, groups);
    }

    /// <summary>Adds this convolution of <paramref name="x"/> into <paramref name="accumulator"/> (same shape).</summary>
    public void AccumulateInto(Tensor accumulator, Tensor x)
    {
        using var y = Forward(x);
        accumulator.add_(y);
    }

    public Tensor Forward(Tensor x) => Convolutions.Forward(x, weight, bias, stride, padding, dilation, groups);

    public void Dispose()
    {
        weight.Dispose();
        bias.Dispose();
    }
}
