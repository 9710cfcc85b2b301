using TorchSharp;
using static TorchSharp.torch;
using Conv2d = TorchSharp.Modules.Conv2d;
using BatchNorm2d = TorchSharp.Modules.BatchNorm2d;

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

    public FoldedConv(Conv2d conv, BatchNorm2d bn)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var scale = bn.weight! / (bn.running_var! + bn.eps).sqrt();
        var folded = conv.weight! * scale.reshape(-1, 1, 1, 1);
        var shift = bn.bias! - bn.running_mean! * scale;
        if (conv.bias is not null) shift = shift + conv.bias * scale;
        weight = MemoryLayout.ToChannelsLast(folded).MoveToOuterDisposeScope();
        bias = shift.contiguous().MoveToOuterDisposeScope();
        stride = conv.stride;
        padding = conv.padding!;
        dilation = conv.dilation;
        groups = conv.groups;
    }

    public Device Device => weight.device;

    public Tensor Forward(Tensor x) => nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups);

    public void Dispose()
    {
        weight.Dispose();
        bias.Dispose();
    }
}
