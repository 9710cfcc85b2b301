using TorchSharp.Modules;

namespace MLNet.CSP.Models.Layers;

/// <summary>
/// A bias-free 2-D convolution with PyTorch's state-dict key (<c>weight</c>) that convolves through <see cref="Convolutions"/>,
/// so every network convolution takes the path <see cref="TorchBackend"/> proved right on this machine.
/// </summary>
public sealed class Conv2dLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly long[] stride;
    private readonly long[] padding;
    private static readonly long[] NoDilation = [1, 1];

    /// <summary>
    /// Creates the layer with PyTorch's default initialisation, as <c>nn.Conv2d</c> does before timm or torchvision re-initialise
    /// it: the networks apply their reference's own init afterwards, and drawing these numbers first keeps a seeded network
    /// equal to PyTorch's (the random-init scales match shared/ANCHORS.md to the printed digits).
    /// </summary>
    public Conv2dLayer(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int groups = 1) : base(nameof(Conv2dLayer))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Channels ({inChannels} -> {outChannels}) must be divisible by groups ({groups}).", nameof(groups));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Groups = groups;
        this.stride = [stride, stride];
        this.padding = [padding, padding];
        weight = new Parameter(torch.empty(outChannels, inChannels / groups, kernelSize, kernelSize));
        using (torch.no_grad()) nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Square kernel size.</summary>
    public int KernelSize { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>The weight [out, in / groups, k, k].</summary>
    public Parameter Weight => weight;

    internal long[] Stride => stride;

    internal long[] Padding => padding;

    internal long[] Dilation => NoDilation;

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Convolutions.Forward(x, weight, null, stride, padding, NoDilation, Groups);
}
