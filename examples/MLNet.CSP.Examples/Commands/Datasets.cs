using Microsoft.ML;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Train/test image data views from the command's folders.</summary>
internal static class Datasets
{
    public static (IDataView Train, IDataView Test, int TrainCount, int TestCount) Load(MLContext ml, DataSettings s)
    {
        string trainFolder = s.Data ?? Path.Combine(ImageFolder.DefaultRoot, "train");
        var train = ImageFolder.Load(trainFolder, s.PerClass);
        List<LabelledImage> test;
        if (s.Test is not null || s.Data is null)
            test = ImageFolder.Load(s.Test ?? Path.Combine(ImageFolder.DefaultRoot, "test"), s.PerClass);
        else
        {
            var random = new Random(s.Seed);
            var shuffled = train.OrderBy(_ => random.Next()).ToList();
            int held = Math.Max(1, train.Count / 5);
            test = shuffled.Take(held).ToList();
            train = shuffled.Skip(held).ToList();
        }
        return (Images(ml, train), Images(ml, test), train.Count, test.Count);
    }

    public static IDataView Images(MLContext ml, IEnumerable<LabelledImage> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath").Fit(data).Transform(data);
    }
}
