namespace MLNet.CSP.Models.Layers;

/// <summary>
/// The initialisation each reference applies to a freshly built network, so that a randomly initialised model here has the
/// feature scale of the reference (TorchSharp's default, kaiming-uniform with a = sqrt(5), is orders of magnitude smaller in the
/// deep CSP networks). Draws from the global torch generator: seed it first for a repeatable network.
/// </summary>
internal static class ReferenceInitialization
{
    /// <summary>
    /// timm <c>cspnet._init_weights</c> with <c>zero_init_last=True</c>: convolutions kaiming-normal (fan-out, ReLU gain),
    /// BatchNorm weight 1 and bias 0, linear layers normal(0, 0.01) with zero bias, and the last BatchNorm of every residual
    /// block at zero, so each block starts as the identity.
    /// </summary>
    public static void Timm(nn.Module root) => Apply(root, fanOut: true, linear: l =>
    {
        nn.init.normal_(l.weight!, 0, 0.01);
        if (l.bias is not null) nn.init.zeros_(l.bias);
    }, zeroInitLast: true);

    /// <summary>torchvision <c>ResNet.__init__</c>: convolutions kaiming-normal (fan-out, ReLU gain), BatchNorm 1 and 0, the classifier PyTorch's default.</summary>
    public static void TorchvisionResNet(nn.Module root) => Apply(root, fanOut: true, linear: null, zeroInitLast: false);

    /// <summary>torchvision <c>DenseNet.__init__</c>: convolutions kaiming-normal (fan-in, ReLU gain), BatchNorm 1 and 0, classifier bias 0.</summary>
    public static void TorchvisionDenseNet(nn.Module root) => Apply(root, fanOut: false, linear: l =>
    {
        if (l.bias is not null) nn.init.zeros_(l.bias);
    }, zeroInitLast: false);

    private static void Apply(nn.Module root, bool fanOut, Action<Linear>? linear, bool zeroInitLast)
    {
        using var noGrad = torch.no_grad();
        foreach (var module in root.modules().Prepend(root))
        {
            switch (module)
            {
                case Conv2dLayer conv:
                    nn.init.kaiming_normal_(conv.Weight, 0, fanOut ? nn.init.FanInOut.FanOut : nn.init.FanInOut.FanIn, nn.init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight!);
                    nn.init.zeros_(bn.bias!);
                    break;
                case Linear l:
                    linear?.Invoke(l);
                    break;
            }
        }
        if (!zeroInitLast) return;
        foreach (var block in root.modules().OfType<IZeroInitLast>()) block.ZeroInitLast();
    }
}
