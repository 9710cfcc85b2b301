using TorchSharp.Modules;

namespace MLNet.CSP.Detection;

/// <summary>darknet's alternating 1x1 (width) and 3x3 (twice the width) convolutions, as the YOLOv3 and PANet cfgs stack them.</summary>
internal static class ConvStack
{
    /// <summary>
    /// <paramref name="count"/> ConvNormAct layers (keys <c>0</c>, <c>1</c>, ...) starting with a 1x1 to <paramref name="width"/>,
    /// alternating with 3x3 to twice the width (an odd count ends on a 1x1 at <paramref name="width"/>).
    /// </summary>
    public static Sequential Create(int inChannels, int width, int count, ActivationKind activation)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>(count);
        int channels = inChannels;
        for (int i = 0; i < count; i++)
        {
            bool pointwise = i % 2 == 0;
            int outChannels = pointwise ? width : 2 * width;
            layers.Add(new ConvNormAct(channels, outChannels, pointwise ? 1 : 3, activation: activation));
            channels = outChannels;
        }
        return nn.Sequential(layers);
    }
}
