using MLNet.CSP.Models.CspNets;
using MLNet.CSP.Models.DenseNets;
using MLNet.CSP.Models.ResNets;

namespace MLNet.CSP.Models;

/// <summary>The variant table: one configuration per registered name.</summary>
internal static class ZooConfigs
{
    public static IEnumerable<(string Name, IBackboneConfig Config)> All()
    {
        yield return ("cspresnet50", new CspNetConfig(
            new CspStemConfig([64], 7, 4, MaxPool: true),
            [
                new(3, 128, Stride: 1, ExpandRatio: 2, BottleRatio: 0.5, CrossLinear: true),
                new(3, 256, ExpandRatio: 2, BottleRatio: 0.5, CrossLinear: true),
                new(5, 512, ExpandRatio: 2, BottleRatio: 0.5, CrossLinear: true),
                new(2, 1024, ExpandRatio: 2, BottleRatio: 0.5, CrossLinear: true),
            ],
            ActivationKind.LeakyReLU,
            PretrainedConfig.TimmCsp(hubRepository: "timm/cspresnet50.ra_in1k")));

        yield return ("cspresnext50", new CspNetConfig(
            new CspStemConfig([64], 7, 4, MaxPool: true),
            [
                new(3, 256, Stride: 1, Groups: 32, BlockRatio: 0.5, CrossLinear: true),
                new(3, 512, Groups: 32, BlockRatio: 0.5, CrossLinear: true),
                new(5, 1024, Groups: 32, BlockRatio: 0.5, CrossLinear: true),
                new(2, 2048, Groups: 32, BlockRatio: 0.5, CrossLinear: true),
            ],
            ActivationKind.LeakyReLU,
            PretrainedConfig.TimmCsp(hubRepository: "timm/cspresnext50.ra_in1k")));

        yield return ("cspdarknet53", new CspNetConfig(
            new CspStemConfig([32], 3, 1, MaxPool: false),
            [
                new(1, 64, ExpandRatio: 2, BottleRatio: 0.5, BlockRatio: 1, DownGrowth: true, Block: BlockType.Dark),
                new(2, 128, BlockRatio: 0.5, DownGrowth: true, Block: BlockType.Dark),
                new(8, 256, BlockRatio: 0.5, DownGrowth: true, Block: BlockType.Dark),
                new(8, 512, BlockRatio: 0.5, DownGrowth: true, Block: BlockType.Dark),
                new(4, 1024, BlockRatio: 0.5, DownGrowth: true, Block: BlockType.Dark),
            ],
            ActivationKind.LeakyReLU,
            PretrainedConfig.TimmCsp(hubRepository: "timm/cspdarknet53.ra_in1k")));

        yield return ("darknet53", new CspNetConfig(
            new CspStemConfig([32], 3, 1, MaxPool: false),
            [
                DarkStage(1, 64), DarkStage(2, 128), DarkStage(8, 256), DarkStage(8, 512), DarkStage(4, 1024),
            ],
            ActivationKind.LeakyReLU,
            PretrainedConfig.TimmCsp(Interpolation.Bicubic, "timm/darknet53.c2ns_in1k")));

        yield return ("cs3darknet_s", Cs3DarkNet.Scale(0.5, 0.5) with { Pretrained = PretrainedConfig.TimmCsp(Interpolation.Bicubic) });
        yield return ("cs3darknet_m", Cs3DarkNet.Scale(0.75, 0.67) with { Pretrained = PretrainedConfig.TimmCsp(Interpolation.Bicubic, "timm/cs3darknet_m.c2ns_in1k") });
        yield return ("cs3darknet_l", Cs3DarkNet with { Pretrained = PretrainedConfig.TimmCsp(Interpolation.Bicubic, "timm/cs3darknet_l.c2ns_in1k") });

        yield return ("resnet50", new ResNetConfig([3, 4, 6, 3], 1, 64, PretrainedConfig.Torchvision("timm/resnet50.tv_in1k")));
        yield return ("resnext50_32x4d", new ResNetConfig([3, 4, 6, 3], 32, 4, PretrainedConfig.Torchvision("timm/resnext50_32x4d.tv_in1k")));
        yield return ("densenet121", DenseNet(121, [6, 12, 24, 16]));
        yield return ("densenet169", DenseNet(169, [6, 12, 32, 32]));
        yield return ("densenet201", DenseNet(201, [6, 12, 48, 32]));

        // CSPDenseNet (no published checkpoint): the paper's construction on each DenseNet, gamma 0.5, CSP fusion;
        // the fusion and split-ratio ablations of DenseNet-121; a half-width, half-depth variant for CPU apps.
        var csp121 = new CspDenseNetConfig(DenseNet(121, [6, 12, 24, 16]) with { Pretrained = PretrainedConfig.Torchvision() });
        yield return ("cspdensenet121", csp121);
        yield return ("cspdensenet169", csp121 with { Dense = csp121.Dense with { BlockConfig = [6, 12, 32, 32] } });
        yield return ("cspdensenet201", csp121 with { Dense = csp121.Dense with { BlockConfig = [6, 12, 48, 32] } });
        yield return ("cspdensenet121_fusionfirst", csp121 with { Fusion = CspFusion.FusionFirst });
        yield return ("cspdensenet121_fusionlast", csp121 with { Fusion = CspFusion.FusionLast });
        yield return ("cspdensenet121_gamma25", csp121 with { Gamma = 0.25 });
        yield return ("cspdensenet121_s", csp121.Scale(0.5, 0.5));
    }

    private static DenseNetConfig DenseNet(int depth, int[] blocks) =>
        new(32, blocks, 64, 4, PretrainedConfig.Torchvision($"timm/densenet{depth}.tv_in1k"));

    /// <summary>timm's CS3 DarkNet at width and depth 1 (cs3darknet_l); the s/m variants scale it.</summary>
    private static CspNetConfig Cs3DarkNet { get; } = new(
        new CspStemConfig([32, 64], 3, 2, MaxPool: false),
        [
            Cs3Stage(3, 128), Cs3Stage(6, 256), Cs3Stage(9, 512), Cs3Stage(3, 1024),
        ],
        ActivationKind.SiLU,
        PretrainedConfig.TimmCsp(Interpolation.Bicubic));

    private static CspStageConfig Cs3Stage(int depth, int outChannels) =>
        new(depth, outChannels, BlockRatio: 0.5, Type: StageType.Cs3, Block: BlockType.Dark);

    private static CspStageConfig DarkStage(int depth, int outChannels) =>
        new(depth, outChannels, BottleRatio: 0.5, Type: StageType.Dark, Block: BlockType.Dark);
}
