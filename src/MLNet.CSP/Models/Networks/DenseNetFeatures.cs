using MLNet.CSP.Models.Blocks;
using MLNet.CSP.Models.Configs;
using MLNet.CSP.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;
using Conv2d = TorchSharp.Modules.Conv2d;
using BatchNorm2d = TorchSharp.Modules.BatchNorm2d;

namespace MLNet.CSP.Models.Networks;

/// <summary>
/// The <c>features</c> trunk of torchvision's DenseNet: <c>conv0</c>, <c>norm0</c>, max pool, then
/// <c>denseblockN</c> / <c>transitionN</c>, and <c>norm5</c> (returned before the final ReLU).
/// </summary>
internal sealed class DenseNetFeatures : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv0;
    private readonly BatchNorm2d norm0;
    private readonly List<(string Name, nn.Module<Tensor, Tensor> Module)> body = [];
    private readonly BatchNorm2d norm5;

    public DenseNetFeatures(DenseNetConfig config) : base("features")
    {
        conv0 = nn.Conv2d(3, config.InitFeatures, 7, 2, 3, 1, PaddingModes.Zeros, 1, false);
        norm0 = nn.BatchNorm2d(config.InitFeatures);
        register_module("conv0", conv0);
        register_module("norm0", norm0);
        int channels = config.InitFeatures;
        for (int i = 0; i < config.BlockConfig.Count; i++)
        {
            var block = new DenseBlock(config.BlockConfig[i], channels, config.GrowthRate, config.BnSize);
            Add($"denseblock{i + 1}", block);
            channels = block.OutChannels;
            if (i != config.BlockConfig.Count - 1)
            {
                Add($"transition{i + 1}", new DenseTransition(channels, channels / 2));
                channels /= 2;
            }
        }
        norm5 = nn.BatchNorm2d(channels);
        register_module("norm5", norm5);
        OutChannels = channels;
    }

    public int OutChannels { get; }

    private void Add(string name, nn.Module<Tensor, Tensor> module)
    {
        register_module(name, module);
        body.Add((name, module));
    }

    /// <summary>Runs the trunk, reporting stage outputs with torchvision's module paths.</summary>
    public Tensor Run(Tensor x, Action<string, Tensor>? tap)
    {
        Tensor current;
        using (var c = conv0.call(x))
        using (var n = norm0.call(c).relu_())
            current = Pooling.StemMaxPool(n);
        tap?.Invoke("features.pool0", current);
        foreach (var (name, module) in body)
        {
            var next = module.call(current);
            current.Dispose();
            current = next;
            tap?.Invoke("features." + name, current);
        }
        using (current)
        {
            var normed = norm5.call(current);
            tap?.Invoke("features.norm5", normed);
            return normed;
        }
    }

    public override Tensor forward(Tensor x) => Run(x, null);
}
