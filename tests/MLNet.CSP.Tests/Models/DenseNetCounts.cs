using MLNet.CSP.Models.DenseNets;

namespace MLNet.CSP.Tests.Models;

/// <summary>
/// Parameters and MACs of a DenseNet or CSPDenseNet written out layer by layer from the architecture's definition
/// (not from the modules), as the independent count the hook-based <c>ModelComplexity</c> is checked against.
/// </summary>
internal static class DenseNetCounts
{
    public static (long Parameters, long Macs) Count(DenseNetConfig dense, CspDenseNetConfig? csp, int height, int width, int numClasses)
    {
        long k = dense.GrowthRate, bottleneck = dense.BnSize * (long)dense.GrowthRate;
        long parameters = 0, macs = 0;

        // conv0 7x7/2 pad 3, norm0, max pool 3x3/2 pad 1.
        long h = (height + 6 - 7) / 2 + 1, w = (width + 6 - 7) / 2 + 1;
        parameters += 3L * dense.InitFeatures * 49 + 2L * dense.InitFeatures;
        macs += 3L * dense.InitFeatures * 49 * h * w;
        h = (h + 2 - 3) / 2 + 1;
        w = (w + 2 - 3) / 2 + 1;

        void Transition(long inChannels, long outChannels)
        {
            parameters += 2 * inChannels + inChannels * outChannels;
            macs += inChannels * outChannels * h * w;
        }

        void Block(long inChannels, int layers)
        {
            for (int j = 0; j < layers; j++)
            {
                long c = inChannels + j * k;
                parameters += 2 * c + c * bottleneck + 2 * bottleneck + bottleneck * k * 9;
                macs += (c * bottleneck + bottleneck * k * 9) * h * w;
            }
        }

        long channels = dense.InitFeatures;
        for (int i = 0; i < dense.BlockConfig.Count; i++)
        {
            int layers = dense.BlockConfig[i];
            bool last = i == dense.BlockConfig.Count - 1;
            long grown = channels + layers * k;
            long stageOut = last ? grown : grown / 2;
            if (csp is null)
            {
                Block(channels, layers);
                if (!last) Transition(grown, stageOut);
            }
            else
            {
                long part = Math.Clamp((long)(csp.Gamma * channels + 0.5), 1, channels - 1);
                long skip = channels - part;
                long blockOut = part + layers * k;
                Block(part, layers);
                if (csp.Fusion != CspFusion.FusionFirst) Transition(blockOut, stageOut - skip);
                if (csp.Fusion == CspFusion.Csp) Transition(stageOut, stageOut);
                if (csp.Fusion == CspFusion.FusionFirst) Transition(skip + blockOut, stageOut);
            }
            if (!last)
            {
                h /= 2;
                w /= 2;
            }
            channels = stageOut;
        }
        parameters += 2 * channels; // norm5
        parameters += channels * numClasses + numClasses;
        macs += channels * numClasses;
        return (parameters, macs);
    }
}
