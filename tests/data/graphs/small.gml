graph [
  directed 0
  node [ id 10 label "ten" ]
  node [ id 3 label "three" ]
  node [ id 5 label "five" ]
  edge [ source 10 target 3 ]
  edge [ source 3 target 5 ]
  edge [ source 5 target 3 ]
]
