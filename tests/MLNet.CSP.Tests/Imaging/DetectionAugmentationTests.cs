using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Detection;
using MLNet.CSP.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Imaging;

/// <summary>
/// The detector's augmentations keep boxes on their objects: each test paints solid rectangles, augments, and finds each
/// returned box where the rectangle's colour now is (the pixels decide, not the box arithmetic).
/// </summary>
[TestClass]
public sealed class DetectionAugmentationTests
{
    private const int S = 64;

    /// <summary>A grey S x S image with one rectangle of the given colour.</summary>
    private static (Tensor Image, IReadOnlyList<LabeledBox> Boxes) Painted(int x0, int y0, int x1, int y1, float r, float g, float b, int label)
    {
        var image = torch.full(3, S, S, DetectionAugmentation.Grey);
        image[0, TensorIndex.Slice(y0, y1), TensorIndex.Slice(x0, x1)] = r;
        image[1, TensorIndex.Slice(y0, y1), TensorIndex.Slice(x0, x1)] = g;
        image[2, TensorIndex.Slice(y0, y1), TensorIndex.Slice(x0, x1)] = b;
        return (image, [new LabeledBox(new BoundingBox(x0, y0, x1, y1), label)]);
    }

    private static readonly float[][] Colours = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]];

    /// <summary>The bounding box of the pixels within 0.1 of a colour (null when none), and how many there are.</summary>
    private static (BoundingBox? Box, long Count) Find(Tensor image, float[] colour)
    {
        using var scope = torch.NewDisposeScope();
        var target = torch.tensor(colour).view(3, 1, 1);
        var near = (image - target).abs().amax([0]).lt(0.1f);
        long count = near.sum().item<long>();
        if (count == 0) return (null, 0);
        var rows = near.any(1).nonzero().flatten();
        var cols = near.any(0).nonzero().flatten();
        return (new BoundingBox(cols.min().item<long>(), rows.min().item<long>(), cols.max().item<long>() + 1, rows.max().item<long>() + 1), count);
    }

    [TestMethod]
    [Timeout(60_000)]
    public void AMosaicPutsEachBoxOnItsImagesPixels()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var four = new[]
            {
                Painted(4, 4, 30, 20, 1, 0, 0, 0), Painted(30, 30, 60, 60, 0, 1, 0, 1), Painted(10, 40, 20, 62, 0, 0, 1, 2), Painted(0, 0, 64, 10, 1, 1, 0, 3),
            };
            var (canvas, boxes) = DetectionAugmentation.Mosaic([.. four.Select(f => (f.Image, f.Boxes))], S, new Random(seed));
            Assert.AreEqual(2 * S, canvas.shape[1]);
            foreach (var box in boxes)
            {
                var (found, _) = Find(canvas, Colours[box.Label]);
                Assert.IsNotNull(found, $"seed {seed}: class {box.Label} has a box but no pixels");
                Assert.AreEqual(found.Value, box.Box, $"seed {seed}: class {box.Label}");
            }
            // A rectangle left out must not be visible.
            foreach (int label in Enumerable.Range(0, 4).Where(l => boxes.All(b => b.Label != l)))
                Assert.IsNull(Find(canvas, Colours[label]).Box, $"seed {seed}: class {label} is visible but has no box");
            foreach (var f in four) f.Image.Dispose();
            canvas.Dispose();
        }
    }

    [TestMethod]
    [Timeout(60_000)]
    public void ScaleAndTranslationMoveBoxesWithTheirPixelsAndDropWhatLeaves()
    {
        int kept = 0, dropped = 0;
        for (int seed = 0; seed < 40; seed++)
        {
            var (image, boxes) = Painted(36, 8, 62, 30, 1, 0, 0, 0);
            var (output, moved) = DetectionAugmentation.RandomAffine(image, boxes, S, scale: 0.5, translate: 0.5, new Random(seed));
            Assert.AreEqual(S, output.shape[2]);
            var (found, count) = Find(output, Colours[0]);
            if (moved.Count == 1)
            {
                kept++;
                Assert.IsNotNull(found, $"seed {seed}: a kept box with no pixels");
                var b = moved[0].Box;
                // Bilinear edges blend with the grey: the pixels near the colour (mostly covered) lie within half a pixel of the
                // box's edges, and at most 1.5 px inside them.
                Assert.IsTrue(found.Value.X0 >= b.X0 - 0.5 && found.Value.X0 <= b.X0 + 1.5 && found.Value.X1 <= b.X1 + 0.5 && found.Value.X1 >= b.X1 - 1.5
                    && found.Value.Y0 >= b.Y0 - 0.5 && found.Value.Y0 <= b.Y0 + 1.5 && found.Value.Y1 <= b.Y1 + 0.5 && found.Value.Y1 >= b.Y1 - 1.5,
                    $"seed {seed}: box {b}, pixels {found}");
            }
            else
            {
                dropped++;
                Assert.IsTrue(count < 0.15 * 26 * 22 * 2.25, $"seed {seed}: the box was dropped but {count} of its pixels are visible");
            }
            image.Dispose();
            output.Dispose();
        }
        Assert.IsTrue(kept > 10 && dropped > 0, $"the draws covered both cases: {kept} kept, {dropped} dropped");
    }

    [TestMethod]
    [Timeout(60_000)]
    public void HsvJitterKeepsGreyGreyAndScalesBrightness()
    {
        using var image = torch.rand(3, 8, 8, generator: torch.manual_seed(1)).mul_(0.5f).add_(0.25f);
        image[TensorIndex.Colon, 0, 0] = torch.tensor(new[] { 0.5f, 0.5f, 0.5f });
        using var jittered = image.clone();
        DetectionAugmentation.HsvJitter(jittered, hue: 0.2, saturation: 0.5, value: 0.3, new Random(3));
        var grey = jittered[TensorIndex.Colon, 0, 0].data<float>().ToArray();
        Assert.AreEqual(grey[0], grey[1], 1e-5f, "grey stays grey");
        Assert.AreEqual(grey[0], grey[2], 1e-5f, "grey stays grey");
        // Brightness alone scales every pixel by one gain.
        using var bright = image.clone();
        DetectionAugmentation.HsvJitter(bright, hue: 0, saturation: 0, value: 0.3, new Random(3));
        using var ratio = bright / image;
        Assert.AreEqual(ratio.min().item<float>(), ratio.max().item<float>(), 1e-5f);
        Assert.AreNotEqual(1f, ratio.min().item<float>(), 1e-4f);
        // Hue alone turns colours about the grey axis: each pixel keeps its channel sum.
        using var turned = image.clone();
        DetectionAugmentation.HsvJitter(turned, hue: 0.2, saturation: 0, value: 0, new Random(4));
        Assert.IsTrue(torch.allclose(turned.sum(0), image.sum(0), rtol: 0, atol: 1e-5), "channel sums kept");
        Assert.IsFalse(torch.allclose(turned, image, rtol: 0, atol: 1e-3), "colours changed");
    }
}
